import type { Logger } from '@dtrain/common';
import type { RunningServer, ServerOptions } from '@dtrain/coordinator';
import type { WorkerProcess } from './worker-processes';
import { spawnWorkers } from './worker-processes';

/** Grace period for workers to exit by themselves once the server said the run is done. */
const WORKER_EXIT_GRACE_MS = 10_000;

export interface LocalWorkers {
  readonly workers: WorkerProcess[];
  /** Waits for the workers to exit (killing them after a grace period). */
  close(): Promise<void>;
}

/**
 * `count` worker processes on this machine for `server` (`dtrain local`, `dtrain finetune`): signals
 * stop workers and server together, and a run whose workers all died is stopped instead of waiting.
 */
export function superviseLocalWorkers(
  /** The server now (a local run that resumes after a lost shard runs a new one on the same port). */
  current: () => RunningServer,
  options: ServerOptions,
  count: number,
  o: { json: boolean; workerLogFormat: string; log: Logger },
): LocalWorkers {
  const workers = spawnWorkers(count, {
    serverUrl: current().url,
    token: options.token,
    backend: options.run.backend,
    logLevel: o.json ? 'error' : 'warn',
    extraArgs: () => ['--log-format', o.workerLogFormat],
    forwardLogs: true,
  });
  const stopAll = (): void => {
    for (const w of workers) w.child.kill('SIGTERM');
    void current().stop('signal');
  };
  process.once('SIGINT', stopAll);
  process.once('SIGTERM', stopAll);
  if (workers.length > 0)
    void Promise.all(workers.map((w) => w.exited)).then((codes) => {
      if (current().coordinator.state !== 'finished') {
        o.log.error('all workers exited before the run finished', { codes });
        void current().stop('all workers exited');
      }
    });
  return {
    workers,
    async close() {
      const timer = setTimeout(() => workers.forEach((w) => w.child.kill('SIGKILL')), WORKER_EXIT_GRACE_MS);
      await Promise.all(workers.map((w) => w.exited));
      clearTimeout(timer);
    },
  };
}

/** Worker stderr is a pipe (so `auto` would mean JSON): give them the format this terminal shows. */
export function workerLogFormatFor(format: string): string {
  return format === 'auto' ? (process.stderr.isTTY ? 'pretty' : 'json') : format;
}
