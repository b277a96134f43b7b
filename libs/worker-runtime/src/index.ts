export { startWorker } from './run-worker';
export type { WorkerErrorCode } from './worker-error';
export { WorkerError, WORKER_ERROR_CODES } from './worker-error';
export { workerCommand } from './worker-command';
