export * from './constants';
export type { CodecLimits } from './limits';
export { DEFAULT_LIMITS, resolveLimits } from './limits';
export type {
  Ack,
  AckStatus,
  Assign,
  Augment,
  ControlMessage,
  DataMessage,
  Done,
  DoneReason,
  ErrorMessage,
  Heartbeat,
  Hyper,
  Join,
  Leave,
  Message,
  MessageType,
  ModelManifest,
  Push,
  ShardSpec,
  ShardStrategy,
  SyncKind,
  SyncMode,
  Weights,
  WeightsEncoding,
  Welcome,
  Work,
  WorkerCapabilities,
  WorkerStats,
} from './messages';
export { CONTROL_MESSAGE_TYPES, DATA_MESSAGE_TYPES, MESSAGE_TYPES, SHARD_STRATEGIES, SYNC_KINDS } from './messages';
export type { EncodedTensor, TensorCodec } from './encoded-tensor';
export { checkTensorLength, encodedTensorBytes, TENSOR_CODECS } from './encoded-tensor';
export type { ProtocolErrorCode } from './protocol-error';
export { PROTOCOL_ERROR_CODES, PROTOCOL_ERROR_MEANINGS, ProtocolError } from './protocol-error';
export type { WireErrorCode } from './wire-error-codes';
export { WIRE_ERROR_CODES } from './wire-error-codes';
export { errorMessage } from './error-message';
export { validateMessage } from './validate-message';
export type { EncodeOptions } from './codec';
export { decodeMessage, encodeMessage } from './codec';
export type { CloseCode } from './close-codes';
export { CLOSE_CODES } from './close-codes';
export { WS_SUBPROTOCOL, BEARER_SUBPROTOCOL_PREFIX, bearerSubprotocols, tokenFromSubprotocols } from './upgrade-auth';
