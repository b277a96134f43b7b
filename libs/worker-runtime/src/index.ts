export { startWorker } from './run-worker';
export type { WorkerResult } from './run-worker';
export type { WorkerDeps } from './run-worker';
export type { WorkerErrorCode } from './worker-error';
export { WorkerError, WORKER_ERROR_CODES } from './worker-error';
export { workerCommand } from './worker-command';
export type { WorkerOptions } from './worker-options';
export { DEFAULT_RECONNECT, DEFAULT_SHARD_WAIT_MS } from './worker-options';
export type { HostStats, SocketEvents, WorkerHost, WorkerSocket } from './worker-host';
