/**
 * The WebSocket close codes both ends use, defined once. RFC 6455 §7.4.1 for the 1xxx ones; 4000
 * is private (RFC 6455 §7.4.2: 4000–4999 are for applications).
 */
export const CLOSE_CODES = {
  /** The run is over, or the peer said goodbye. */
  normal: 1000,
  /** The server is going away (a restart): workers should come back. */
  goingAway: 1001,
  /** Policy violation: a refused join, a frame that broke the protocol, a heartbeat timeout. */
  policy: 1008,
  /** A frame over the size limit. */
  tooBig: 1009,
  /** An unexpected condition on our side (a bug, never the peer's input). */
  internal: 1011,
  /** A worker drops its connection to be sent full weights again (it lost track of a delta). */
  resync: 4000,
} as const;

export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];
