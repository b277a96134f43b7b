import type { Join, ProtocolErrorCode, WireErrorCode } from '@dtrain/protocol';
import { PROTOCOL_VERSION } from '@dtrain/protocol';
import { tokensMatch } from './auth';

const WORKER_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;

export interface JoinTerms {
  /** The server's token, if it requires one. */
  token: string | undefined;
  /** The run is over: nobody joins any more. */
  finished: boolean;
  /** Codec kinds a joining worker must list in its capabilities. */
  codecs: readonly string[];
  /** The id given to a worker that names none. */
  defaultId: string;
}

export type JoinVerdict = { ok: true; workerId: string } | { ok: false; code: WireErrorCode | ProtocolErrorCode; message: string };

/** Whether a join may go ahead, judged on the message alone (membership limits are the caller's). */
export function admitJoin(msg: Join, terms: JoinTerms): JoinVerdict {
  const refuse = (code: WireErrorCode | ProtocolErrorCode, message: string): JoinVerdict => ({ ok: false, code, message });
  if (msg.protocolVersion !== PROTOCOL_VERSION) return refuse('PROTO_ERR_BAD_VERSION', `server speaks protocol ${PROTOCOL_VERSION}, worker ${msg.protocolVersion}`);
  if (terms.token !== undefined) {
    if (msg.token === undefined) return refuse('AUTH_ERR_MISSING_TOKEN', 'this server requires a token');
    if (!tokensMatch(msg.token, terms.token)) return refuse('AUTH_ERR_BAD_TOKEN', 'wrong token');
  }
  if (terms.finished) return refuse('PS_ERR_SHUTTING_DOWN', 'the run is over');
  const missing = terms.codecs.filter((c) => !msg.capabilities.compression.includes(c));
  if (missing.length > 0) return refuse('PS_ERR_UNSUPPORTED_CODEC', `this run uses ${missing.join(', ')}, which the worker does not support`);
  const workerId = msg.workerId ?? terms.defaultId;
  if (!WORKER_ID_RE.test(workerId)) return refuse('PS_ERR_BAD_WORKER_ID', 'bad worker id');
  return { ok: true, workerId };
}
