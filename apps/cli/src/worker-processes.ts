import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/** The dtrain entry script, so child workers run the same code as this process. */
export const DTRAIN_BIN = fileURLToPath(new URL('../../../bin/dtrain.js', import.meta.url));

export interface WorkerProcess {
  readonly index: number;
  readonly child: ChildProcess;
  readonly exited: Promise<number>;
}

/** Spawns `dtrain worker` processes; their log lines go to our stderr prefixed with the worker index. */
export function spawnWorkers(
  count: number,
  opts: { serverUrl: string; token: string | undefined; backend: string; logLevel: string; extraArgs?: (i: number) => string[]; forwardLogs: boolean },
): WorkerProcess[] {
  return Array.from({ length: count }, (_, index) => {
    const args = [DTRAIN_BIN, 'worker', '--server', opts.serverUrl, '--worker-id', `local-${index + 1}`, '--backend', opts.backend, '--log-level', opts.logLevel, ...(opts.extraArgs?.(index) ?? [])];
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...(opts.token ? { DTRAIN_TOKEN: opts.token } : {}) },
    });
    if (child.stderr) {
      const rl = createInterface({ input: child.stderr });
      rl.on('line', (line) => {
        if (opts.forwardLogs) process.stderr.write(`[worker ${index + 1}] ${line}\n`);
      });
    }
    const exited = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
    return { index, child, exited };
  });
}
