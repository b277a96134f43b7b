import { CodedError } from '@dtrain/common';

/** Every way a frame or message can be refused, with the meaning documented in the README. */
export const PROTOCOL_ERROR_MEANINGS = {
  PROTO_ERR_FRAME_TOO_LARGE: 'The frame is larger than maxFrameBytes; it was refused before decoding.',
  PROTO_ERR_MALFORMED: 'The frame is not well-formed msgpack of the subset we use, or its top level is not a map.',
  PROTO_ERR_UNKNOWN_TYPE: 'The message `type` is missing or is not one this protocol version defines.',
  PROTO_ERR_BAD_VERSION: 'The message `v` differs from PROTOCOL_VERSION (details.expected / details.received).',
  PROTO_ERR_BAD_FIELD: 'A field is missing, has the wrong type or is out of range (details.field).',
  PROTO_ERR_BAD_TENSOR: 'An encoded tensor is structurally invalid: unknown codec, wrong array type or inconsistent lengths.',
  PROTO_ERR_NOT_FINITE: 'A number that must be finite is NaN or infinite (a field or a tensor value).',
  PROTO_ERR_TOO_LONG: 'A string, array, tensor, nesting depth or value count exceeds its limit (details.limit).',
  PROTO_ERR_BAD_SHAPE: 'A tensor length differs from the model manifest total size.',
} as const satisfies Record<string, string>;

export type ProtocolErrorCode = keyof typeof PROTOCOL_ERROR_MEANINGS;

export const PROTOCOL_ERROR_CODES: readonly ProtocolErrorCode[] = Object.freeze(
  Object.keys(PROTOCOL_ERROR_MEANINGS) as ProtocolErrorCode[],
);

/** The only error decode/validate ever throw; branch on `code`. */
export class ProtocolError extends CodedError<ProtocolErrorCode> {}

/** Shorthand for the field errors that make up most of validation. */
export function fieldError(
  code: ProtocolErrorCode,
  field: string,
  message: string,
  details?: Record<string, unknown>,
): ProtocolError {
  return new ProtocolError(code, `${field}: ${message}`, { field, ...details });
}
