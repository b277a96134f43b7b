import { CodedError } from '@dtrain/common';

/**
 * Codes the parameter server throws or rejects its run with (codes it sends to workers are the wire
 * codes of @dtrain/protocol; checkpoint codes are in ./checkpoint-store). Listed in docs/error-codes.md.
 */
export const COORDINATOR_ERROR_CODES = {
  PS_ERR_BAD_OPTION: 'A server option is out of range or inconsistent with another (details.field).',
  PS_ERR_INSECURE_BIND: 'A server without a token was asked to listen on a non-loopback address (use a token, 127.0.0.1, or --insecure).',
  PS_ERR_STOPPED: 'The run was stopped (signal, every worker gone, disposal) before it finished.',
  PS_ERR_JOIN_TIMEOUT: 'Fewer than --workers workers joined within --join-timeout-ms.',
  PS_ERR_SHARD_LOST: 'A parameter shard could not be reached, refused to open its slice, or its connection was lost mid-run.',
  PS_ERR_SHARD_MISMATCH: 'The shards answered at different versions or with slices of the wrong length: they no longer hold one model.',
} as const satisfies Record<string, string>;

export type CoordinatorErrorCode = keyof typeof COORDINATOR_ERROR_CODES;

export class CoordinatorError extends CodedError<CoordinatorErrorCode> {}
