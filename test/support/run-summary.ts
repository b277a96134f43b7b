/** The fields of `dtrain server|local --json`'s summary line that the suites assert on. */
export interface RunSummary {
  test_accuracy: number;
  test_samples: number;
  workers: number;
  steps: number;
  version: number;
  train_samples: number;
  epochs: number;
  backend: string;
  weights_checksum: string;
  run_id: string;
}

/** The last stdout line that is a JSON object with `test_accuracy` (logs may precede it). */
export function parseRunSummary(stdout: string): RunSummary {
  const lines = stdout.trim().split('\n').reverse();
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    try {
      const v = JSON.parse(line) as Partial<RunSummary>;
      if (typeof v.test_accuracy === 'number') return v as RunSummary;
    } catch {
      // a log line that merely starts with a brace
    }
  }
  throw new Error(`no run summary in output:\n${stdout.slice(-2000)}`);
}
