import { MAX_ERROR_MESSAGE_LENGTH, PROTOCOL_VERSION } from './constants';
import type { ErrorMessage } from './messages';
import type { ProtocolErrorCode } from './protocol-error';
import type { WireErrorCode } from './wire-error-codes';

/** Builds an `error` message; texts longer than the wire allows are cut so the message stays valid. */
export function errorMessage(
  code: WireErrorCode | ProtocolErrorCode,
  message: string,
  fatal: boolean,
  replyTo?: number,
): ErrorMessage {
  const msg: ErrorMessage = {
    type: 'error',
    v: PROTOCOL_VERSION,
    code,
    message: message.length > MAX_ERROR_MESSAGE_LENGTH ? message.slice(0, MAX_ERROR_MESSAGE_LENGTH) : message,
    fatal,
  };
  if (replyTo !== undefined) msg.replyTo = replyTo;
  return msg;
}
