import {
  ERROR_CODE_PATTERN,
  MAX_ACCUMULATED_BATCHES,
  MAX_CAPABILITY_LIST,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_NAME_LENGTH,
  MAX_TENSOR_RANK,
  MAX_TOKEN_LENGTH,
  MAX_WORKER_ID_LENGTH,
  PROTOCOL_VERSION,
  WORKER_ID_PATTERN,
} from './constants';
import { checkString, Fields, isPlainObject } from './fields';
import { cleanJson } from './json-value';
import { resolveLimits, type CodecLimits } from './limits';
import type {
  Ack,
  Assign,
  Done,
  ErrorMessage,
  Heartbeat,
  Join,
  Leave,
  Message,
  MessageType,
  ModelManifest,
  Push,
  Weights,
  Welcome,
  Work,
} from './messages';
import { MESSAGE_TYPES } from './messages';
import { fieldError, ProtocolError } from './protocol-error';
import { readTensor } from './validate-tensor';
import { SHARD_READERS, readShardRoutes } from './validate-shard-message';

const v = PROTOCOL_VERSION;
const nameItem = (x: unknown, field: string): string => checkString(x, field, MAX_NAME_LENGTH);
const workerId = (f: Fields, key: string): string => f.string(key, MAX_WORKER_ID_LENGTH, WORKER_ID_PATTERN);

function join(f: Fields): Join {
  const caps = f.object('capabilities');
  const msg: Join = {
    type: 'join',
    v,
    requestId: f.int('requestId'),
    protocolVersion: f.int('protocolVersion', 1),
    capabilities: {
      backend: caps.string('backend', MAX_NAME_LENGTH),
      compression: caps.array('compression', MAX_CAPABILITY_LIST, nameItem),
      maxFrameBytes: caps.int('maxFrameBytes', 1),
    },
  };
  const pid = caps.optional('pid', (k) => caps.int(k));
  if (pid !== undefined) msg.capabilities.pid = pid;
  const host = caps.optional('host', (k) => caps.string(k, MAX_NAME_LENGTH));
  if (host !== undefined) msg.capabilities.host = host;
  if (caps.has('trainableLayout')) msg.capabilities.trainableLayout = caps.bool('trainableLayout');
  const id = f.optional('workerId', (k) => workerId(f, k));
  if (id !== undefined) msg.workerId = id;
  const token = f.optional('token', (k) => f.string(k, MAX_TOKEN_LENGTH));
  if (token !== undefined) msg.token = token;
  if (f.has('resumeFrom')) {
    const r = f.object('resumeFrom');
    msg.resumeFrom = { version: r.int('version'), step: r.int('step') };
  }
  const session = f.optional('session', (k) => f.string(k, MAX_TOKEN_LENGTH));
  if (session !== undefined) msg.session = session;
  return msg;
}

function manifest(f: Fields): ModelManifest {
  const names = f.array('names', Infinity, nameItem);
  const shapes = f.array('shapes', Infinity, (x, field) => {
    if (!Array.isArray(x)) throw fieldError('PROTO_ERR_BAD_FIELD', field, 'expected an array of dims');
    if (x.length > MAX_TENSOR_RANK) throw fieldError('PROTO_ERR_TOO_LONG', field, 'rank too high', { limit: MAX_TENSOR_RANK });
    return x.map((d: unknown, i) => {
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
        throw fieldError('PROTO_ERR_BAD_FIELD', `${field}[${i}]`, 'expected a non-negative integer dim');
      }
      return d;
    });
  });
  if (shapes.length !== names.length) throw fieldError('PROTO_ERR_BAD_FIELD', f.field('shapes'), 'one shape per name');
  const totalSize = f.int('totalSize', 0, f.limits.maxTensorLength);
  let sum = 0;
  for (const s of shapes) sum += s.reduce((a, b) => a * b, 1);
  if (sum !== totalSize) {
    throw fieldError('PROTO_ERR_BAD_FIELD', f.field('totalSize'), `shapes sum to ${sum}`, { expected: sum, received: totalSize });
  }
  return { names, shapes, totalSize };
}

function welcome(f: Fields): Welcome {
  if (!f.has('model')) throw fieldError('PROTO_ERR_BAD_FIELD', f.field('model'), 'missing');
  const h = f.object('hyper');
  const m = f.object('mode');
  const msg: Welcome = {
    type: 'welcome',
    v,
    replyTo: f.int('replyTo'),
    workerId: workerId(f, 'workerId'),
    runId: f.string('runId', MAX_NAME_LENGTH),
    model: cleanJson(f.raw('model'), f.field('model'), f.limits, f.limits.maxNodes),
    manifest: manifest(f.object('manifest')),
    dataset: f.string('dataset', MAX_NAME_LENGTH),
    hyper: {
      batchSize: h.int('batchSize', 1, f.limits.maxBatch),
      learningRate: h.finite('learningRate', 0),
      epochs: h.int('epochs', 1),
      seed: h.int('seed'),
    },
    mode: { kind: m.oneOf('kind', ['bsp', 'asp', 'ssp'] as const), staleness: m.int('staleness') },
    compression: f.string('compression', MAX_NAME_LENGTH),
    heartbeatMs: f.int('heartbeatMs', 1),
  };
  if (h.raw('augment') === null) msg.hyper.augment = null;
  else if (h.has('augment')) {
    const a = h.object('augment');
    msg.hyper.augment = { rotateDeg: a.finite('rotateDeg', 0), shift: a.finite('shift', 0), scale: a.finite('scale', 0) };
  }
  const frozen = f.optional('frozen', (k) => f.array(k, Infinity, nameItem));
  if (frozen !== undefined) msg.frozen = frozen;
  if (f.has('pushLayout')) msg.pushLayout = f.oneOf('pushLayout', ['trainable'] as const);
  const session = f.optional('session', (k) => f.string(k, MAX_TOKEN_LENGTH));
  if (session !== undefined) msg.session = session;
  if (f.has('shards')) {
    msg.shards = readShardRoutes(f, 'shards');
    if (msg.shards.at(-1)!.end !== msg.manifest.totalSize) throw fieldError('PROTO_ERR_BAD_FIELD', f.field('shards'), 'shard ranges must cover the weights', { expected: msg.manifest.totalSize, received: msg.shards.at(-1)!.end });
    msg.shardTicket = f.string('shardTicket', MAX_TOKEN_LENGTH);
  }
  return msg;
}

function assign(f: Fields): Assign {
  const s = f.object('shard');
  const count = s.int('count', 1);
  return {
    type: 'assign',
    v,
    epoch: f.int('epoch'),
    shard: {
      strategy: s.oneOf('strategy', ['iid', 'by-class'] as const),
      seed: s.int('seed'),
      index: s.int('index', 0, count - 1),
      count,
    },
    members: f.int('members', 1),
  };
}

function work(f: Fields): Work {
  const indices = f.raw('indices');
  if (!(indices instanceof Uint32Array)) throw fieldError('PROTO_ERR_BAD_FIELD', f.field('indices'), 'expected a Uint32Array');
  if (indices.length === 0) throw fieldError('PROTO_ERR_BAD_FIELD', f.field('indices'), 'empty batch');
  if (indices.length > f.limits.maxBatch) {
    throw fieldError('PROTO_ERR_TOO_LONG', f.field('indices'), 'batch too large', { limit: f.limits.maxBatch });
  }
  return {
    type: 'work',
    v,
    step: f.int('step'),
    epoch: f.int('epoch'),
    baseVersion: f.int('baseVersion'),
    indices,
    augmentSeed: f.int('augmentSeed'),
  };
}

function heartbeat(f: Fields): Heartbeat {
  const msg: Heartbeat = { type: 'heartbeat', v, ts: f.finite('ts', 0) };
  if (f.has('stats')) {
    const s = f.object('stats');
    msg.stats = {
      step: s.int('step'),
      samplesPerSec: s.finite('samplesPerSec', 0),
      computeMs: s.finite('computeMs', 0),
      rssBytes: s.int('rssBytes'),
    };
    const encodeMs = s.optional('encodeMs', (k) => s.finite(k, 0));
    const tensors = s.optional('tensors', (k) => s.int(k));
    const peakRssBytes = s.optional('peakRssBytes', (k) => s.int(k));
    if (encodeMs !== undefined) msg.stats.encodeMs = encodeMs;
    if (tensors !== undefined) msg.stats.tensors = tensors;
    if (peakRssBytes !== undefined) msg.stats.peakRssBytes = peakRssBytes;
    const cpuMs = s.optional('cpuMs', (k) => s.finite(k, 0));
    const cpuSteps = s.optional('cpuSteps', (k) => s.int(k));
    if (cpuMs !== undefined) msg.stats.cpuMs = cpuMs;
    if (cpuSteps !== undefined) msg.stats.cpuSteps = cpuSteps;
    const fallbacks = s.optional('kernelFallbacks', (k) => s.array(k, MAX_CAPABILITY_LIST, nameItem));
    if (fallbacks !== undefined) msg.stats.kernelFallbacks = fallbacks;
  }
  return msg;
}

const leave = (f: Fields): Leave => ({ type: 'leave', v, reason: f.string('reason', MAX_ERROR_MESSAGE_LENGTH) });

function error(f: Fields): ErrorMessage {
  const msg: ErrorMessage = {
    type: 'error',
    v,
    code: f.string('code', 64, ERROR_CODE_PATTERN),
    message: f.string('message', MAX_ERROR_MESSAGE_LENGTH),
    fatal: f.bool('fatal'),
  };
  const replyTo = f.optional('replyTo', (k) => f.int(k));
  if (replyTo !== undefined) msg.replyTo = replyTo;
  return msg;
}

function done(f: Fields): Done {
  const msg: Done = { type: 'done', v, reason: f.oneOf('reason', ['finished', 'stopped', 'failed'] as const) };
  if (f.has('summary')) {
    const raw = f.raw('summary');
    if (!isPlainObject(raw)) throw fieldError('PROTO_ERR_BAD_FIELD', f.field('summary'), 'expected an object');
    msg.summary = cleanJson(raw, f.field('summary'), f.limits, f.limits.maxSummaryNodes) as Record<string, unknown>;
  }
  return msg;
}

function weights(f: Fields): Weights {
  const version = f.int('version');
  const encoding = f.oneOf('encoding', ['full', 'delta'] as const);
  const msg: Weights = { type: 'weights', v, version, encoding, payload: readTensor(f.object('payload')) };
  if (encoding === 'delta' || f.has('baseVersion')) {
    if (!f.has('baseVersion')) throw fieldError('PROTO_ERR_BAD_FIELD', f.field('baseVersion'), 'required for a delta');
    msg.baseVersion = f.int('baseVersion', 0, Math.max(0, version - 1));
  }
  if (f.has('layout')) {
    msg.layout = f.oneOf('layout', ['trainable'] as const);
    if (encoding !== 'full') throw fieldError('PROTO_ERR_BAD_FIELD', f.field('layout'), 'only full weights come packed');
  }
  return msg;
}

function push(f: Fields): Push {
  const msg: Push = {
    type: 'push',
    v,
    workerId: workerId(f, 'workerId'),
    step: f.int('step'),
    baseVersion: f.int('baseVersion'),
    samples: f.int('samples', 1, f.limits.maxBatch * MAX_ACCUMULATED_BATCHES),
    loss: f.number('loss'),
  };
  // With sharded servers the gradient goes to the shards and the coordinator's push is its header.
  if (f.raw('grad') !== undefined) msg.grad = readTensor(f.object('grad'));
  const computeMs = f.optional('computeMs', (k) => f.finite(k, 0));
  if (computeMs !== undefined) msg.computeMs = computeMs;
  return msg;
}

function ack(f: Fields): Ack {
  const msg: Ack = {
    type: 'ack',
    v,
    step: f.int('step'),
    status: f.oneOf('status', ['applied', 'duplicate', 'stale', 'dropped', 'rejected'] as const),
    version: f.int('version'),
  };
  const code = f.optional('code', (k) => f.string(k, 64, ERROR_CODE_PATTERN));
  if (code !== undefined) msg.code = code;
  return msg;
}

const READERS: { [T in MessageType]: (f: Fields) => Extract<Message, { type: T }> } = {
  join,
  welcome,
  assign,
  work,
  heartbeat,
  leave,
  error,
  done,
  weights,
  push,
  ack,
  ...SHARD_READERS,
};

/**
 * Checks an untrusted value against the message union and returns a clean copy holding only the
 * known fields (unknown fields are ignored for forward compatibility, never copied). Typed arrays are
 * kept, not copied. Throws only ProtocolError.
 */
export function validateMessage(x: unknown, limits?: Partial<CodecLimits>): Message {
  const lim = resolveLimits(limits);
  try {
    if (!isPlainObject(x)) throw new ProtocolError('PROTO_ERR_MALFORMED', 'a message must be an object');
    const f = new Fields(x, '', lim);
    const version = f.raw('v');
    if (version !== PROTOCOL_VERSION) {
      throw new ProtocolError('PROTO_ERR_BAD_VERSION', `protocol version ${String(version)} is not ${PROTOCOL_VERSION}`, {
        expected: PROTOCOL_VERSION,
        received: typeof version === 'number' ? version : typeof version === 'string' ? version.slice(0, 32) : typeof version,
      });
    }
    const type = f.raw('type');
    if (typeof type !== 'string' || !(MESSAGE_TYPES as readonly string[]).includes(type)) {
      throw new ProtocolError('PROTO_ERR_UNKNOWN_TYPE', 'unknown message type', {
        received: typeof type === 'string' ? type.slice(0, 64) : typeof type,
      });
    }
    return READERS[type as MessageType](f);
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    // Hostile in-memory values (getters, proxies) or a blown stack must still surface as a ProtocolError.
    throw new ProtocolError('PROTO_ERR_MALFORMED', 'message could not be read', undefined, { cause: err });
  }
}
