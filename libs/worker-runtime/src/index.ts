export type { WorkerOptions, ReconnectPolicy } from './worker-options';
export { resolveWorkerOptions, defaultWorkerId, backoffDelay, DEFAULT_RECONNECT } from './worker-options';
export type { RunningWorker, WorkerResult, WorkerDeps } from './run-worker';
export { startWorker } from './run-worker';
export type { WorkerErrorCode } from './worker-error';
export { WorkerError, WORKER_ERROR_CODES } from './worker-error';
export { ReconnectSchedule } from './reconnect-schedule';
export { workerCommand } from './worker-command';
