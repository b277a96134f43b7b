/** One training configuration, passed identically to `dtrain local` and to the server container. */
export interface RunFlags {
  workers: number;
  epochs: number;
  trainLimit: number;
  testLimit: number;
  seed: number;
  dataset?: string;
}

/** The flags shared by `dtrain local` and `dtrain server` for this configuration. */
export function runArgs(f: RunFlags): string[] {
  return [
    '--dataset', f.dataset ?? 'mnist-subset',
    '--workers', String(f.workers),
    '--epochs', String(f.epochs),
    '--train-limit', String(f.trainLimit),
    '--test-limit', String(f.testLimit),
    '--seed', String(f.seed),
  ];
}
