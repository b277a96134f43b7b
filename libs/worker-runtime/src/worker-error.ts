import { CodedError } from '@dtrain/common';

/** Every code a worker ends with, with its meaning (docs/error-codes.md). */
export const WORKER_ERROR_CODES = {
  WORKER_ERR_REFUSED: 'The server refused this worker for good (bad or missing token, other protocol version, bad worker id, run over); details.code is the server code.',
  WORKER_ERR_MODEL_MISMATCH: "The model built from the server's config does not match the manifest the server sent.",
  WORKER_ERR_GAVE_UP: 'No working session with the server for longer than the reconnect give-up time (--give-up-ms).',
  WORKER_ERR_SERVER_FAILED: "The server ended the run as failed; the worker exits with the server's reason.",
} as const satisfies Record<string, string>;

export type WorkerErrorCode = keyof typeof WORKER_ERROR_CODES;

export class WorkerError extends CodedError<WorkerErrorCode> {}
