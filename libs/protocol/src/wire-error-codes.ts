/**
 * Codes the parameter server (and workers) put in `error` and `ack` messages, defined once here so
 * both sides and the README agree. Protocol (frame) codes live in ./protocol-error.
 */
export const WIRE_ERROR_CODES = {
  AUTH_ERR_MISSING_TOKEN: 'The server requires a token and the join carried none.',
  AUTH_ERR_BAD_TOKEN: 'The join token does not match the server token.',
  PS_ERR_STALE_PUSH: 'The push was computed against weights older than the staleness bound allows.',
  PS_ERR_DUPLICATE_PUSH: 'A push for this worker and step was already received; it was not applied twice.',
  PS_ERR_NOT_JOINED: 'The connection sent a message that needs a completed join first.',
  PS_ERR_UNEXPECTED_MESSAGE: 'The message type is valid but not expected from this peer in its current state.',
  PS_ERR_RATE_LIMITED: 'The peer sent messages faster than the server accepts them.',
  PS_ERR_SERVER_FULL: 'The server already has its maximum number of workers.',
  PS_ERR_SHUTTING_DOWN: 'The server is stopping and accepts no new work.',
  PS_ERR_BAD_WORKER_ID: 'The worker id is malformed (≤ 64 chars of [A-Za-z0-9._-]).',
  PS_ERR_UNSUPPORTED_CODEC: "The run's gradient or weight compression is not in the worker's capabilities.",
  PS_ERR_GRADIENT_OUT_OF_RANGE: 'A gradient element exceeded the bound (--max-gradient-abs, or a spike far above recent pushes): nothing was applied and the worker was evicted.',
  PS_ERR_SLOW_CONSUMER: 'The worker does not read what the server sends (its send buffer passed the bound): it was disconnected.',
  PS_ERR_WORKER_ID_IN_USE: 'Another live connection already uses this worker id.',
  PS_ERR_SHARD_NOT_OPEN: 'The parameter shard has no slice open yet (its coordinator has not connected): retry.',
  PS_ERR_SHARD_BUSY: 'The parameter shard already serves another coordinator.',
  PS_ERR_SHARD_DIVERGED: 'A verdict named a push the shard does not hold, or came out of order: the shard closed its slice rather than diverge.',
} as const satisfies Record<string, string>;

export type WireErrorCode = keyof typeof WIRE_ERROR_CODES;
