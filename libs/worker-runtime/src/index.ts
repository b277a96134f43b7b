export type { WorkerOptions, ReconnectPolicy } from './worker-options';
export { resolveWorkerOptions, defaultWorkerId, backoffDelay, DEFAULT_RECONNECT } from './worker-options';
export type { RunningWorker, WorkerResult, WorkerDeps, WorkerErrorCode } from './run-worker';
export { startWorker, WorkerError } from './run-worker';
