import { DEFAULT_MAX_ARRAY_LENGTH, ERROR_CODE_PATTERN, MAX_NAME_LENGTH, MAX_TOKEN_LENGTH, MAX_WORKER_ID_LENGTH, PROTOCOL_VERSION, WORKER_ID_PATTERN } from './constants';
import type { Fields } from './fields';
import { fieldError } from './protocol-error';
import type { EncodedTensor } from './encoded-tensor';
import type { Attach, Deliver, Fetch, Forget, Receipt, ShardMessage, ShardOpen, ShardReady, ShardRoute, SliceOptimizer, SliceState, UpdatePart, Verdict } from './shard-messages';
import { readTensor } from './validate-tensor';

const v = PROTOCOL_VERSION;
/** Most shards a run may have: ranges are cut on tensor boundaries, so more would be empty slices. */
export const MAX_SHARDS = 64;
/** Optimizer slots of a slice (Adam has two). */
const MAX_SLOTS = 8;

const workerId = (f: Fields, key: string): string => f.string(key, MAX_WORKER_ID_LENGTH, WORKER_ID_PATTERN);

/** A slice [start, end) of a tensor at most maxTensorLength long, non-empty. */
function range(f: Fields): { start: number; end: number } {
  const start = f.int('start', 0, f.limits.maxTensorLength - 1);
  const end = f.int('end', start + 1, f.limits.maxTensorLength);
  return { start, end };
}

/** The shards of a welcome: ranges that tile [0, end of the last) in order. */
export function readShardRoutes(f: Fields, key: string): ShardRoute[] {
  const routes = f.objects(key, MAX_SHARDS, (r) => ({ url: r.string('url', MAX_NAME_LENGTH, /^wss?:\/\//), ...range(r) }));
  if (routes.length === 0) throw fieldError('PROTO_ERR_BAD_FIELD', f.field(key), 'at least one shard');
  return routes.map((r, i, all) => {
    const expected = i === 0 ? 0 : all[i - 1]!.end;
    if (r.start !== expected) throw fieldError('PROTO_ERR_BAD_FIELD', `${f.field(key)}[${i}].start`, 'shard ranges must tile the weights in order', { expected, received: r.start });
    return r;
  });
}

function optimizer(f: Fields): SliceOptimizer {
  const slots = f.array('slots', MAX_SLOTS, (x, field) => {
    if (typeof x !== 'string' || !/^[a-z]{1,16}$/.test(x)) throw fieldError('PROTO_ERR_BAD_FIELD', field, 'slot names are short lower-case words');
    return x;
  });
  return { kind: f.oneOf('kind', ['adam', 'sgd'] as const), learningRate: f.finite('learningRate', 0), step: f.int('step'), slots };
}

/** The fp32 state tensor: the slice's weights, then one slot after another, each `size` long. */
function state(f: Fields, size: number, slots: number): EncodedTensor {
  const t = readTensor(f.object('state'));
  if (t.codec !== 'fp32') throw fieldError('PROTO_ERR_BAD_FIELD', f.field('state'), 'slice state travels as fp32');
  if (t.length !== size * (1 + slots)) throw fieldError('PROTO_ERR_BAD_SHAPE', f.field('state'), 'the state is not the slice and its slots', { expected: size * (1 + slots), received: t.length });
  return t;
}

const attach = (f: Fields): Attach => ({ type: 'attach', v, workerId: workerId(f, 'workerId'), runId: f.string('runId', MAX_NAME_LENGTH), ticket: f.string('ticket', MAX_TOKEN_LENGTH) });

function shardOpen(f: Fields): ShardOpen {
  const msg: ShardOpen = {
    type: 'shard-open',
    v,
    runId: f.string('runId', MAX_NAME_LENGTH),
    index: f.int('index', 0, MAX_SHARDS - 1),
    ...range(f),
    version: f.int('version'),
    state: { codec: 'fp32', length: 0, data: new Float32Array(0) },
    optimizer: optimizer(f.object('optimizer')),
    weightsCompression: f.string('weightsCompression', MAX_NAME_LENGTH),
    ticketKey: f.string('ticketKey', MAX_TOKEN_LENGTH),
    maxGradientAbs: f.finite('maxGradientAbs', 0),
    gradientSpikeFactor: f.finite('gradientSpikeFactor', 0),
  };
  msg.state = state(f, msg.end - msg.start, msg.optimizer.slots.length);
  const token = f.optional('token', (k) => f.string(k, MAX_TOKEN_LENGTH));
  if (token !== undefined) msg.token = token;
  if (f.has('mask')) {
    const mask = f.raw('mask');
    if (!(mask instanceof Uint8Array) || mask.length !== msg.end - msg.start) throw fieldError('PROTO_ERR_BAD_FIELD', f.field('mask'), 'expected one byte per weight of the slice');
    msg.mask = mask;
  }
  return msg;
}

const shardReady = (f: Fields): ShardReady => ({ type: 'shard-ready', v, index: f.int('index', 0, MAX_SHARDS - 1), version: f.int('version') });

function receipt(f: Fields): Receipt {
  const msg: Receipt = { type: 'receipt', v, workerId: workerId(f, 'workerId'), step: f.int('step') };
  const code = f.optional('code', (k) => f.string(k, 64, ERROR_CODE_PATTERN));
  if (code !== undefined) msg.code = code;
  return msg;
}

function verdict(f: Fields): Verdict {
  const parts = f.objects('parts', DEFAULT_MAX_ARRAY_LENGTH, (p): UpdatePart => ({ workerId: workerId(p, 'workerId'), step: p.int('step'), samples: p.int('samples', 1) }));
  if (parts.length === 0) throw fieldError('PROTO_ERR_BAD_FIELD', f.field('parts'), 'an update is made of at least one push');
  return { type: 'verdict', v, version: f.int('version', 1), learningRate: f.finite('learningRate', 0), parts };
}

const deliver = (f: Fields): Deliver => ({
  type: 'deliver',
  v,
  version: f.int('version'),
  workers: f.array('workers', DEFAULT_MAX_ARRAY_LENGTH, (x, field) => {
    if (typeof x !== 'string' || x.length > MAX_WORKER_ID_LENGTH || !WORKER_ID_PATTERN.test(x)) throw fieldError('PROTO_ERR_BAD_FIELD', field, 'expected a worker id');
    return x;
  }),
});

const forget = (f: Fields): Forget => ({ type: 'forget', v, workerId: workerId(f, 'workerId'), step: f.int('step') });
const fetch = (f: Fields): Fetch => ({ type: 'fetch', v, requestId: f.int('requestId'), optimizer: f.bool('optimizer') });

/** The slice's length is the receiver's to check (it asked for it); here: fp32, whole slots. */
function sliceState(f: Fields): SliceState {
  const opt = f.has('optimizer') ? optimizer(f.object('optimizer')) : undefined;
  const t = readTensor(f.object('state'));
  const parts = 1 + (opt?.slots.length ?? 0);
  if (t.codec !== 'fp32' || t.length % parts !== 0) throw fieldError('PROTO_ERR_BAD_FIELD', f.field('state'), 'expected fp32 weights and whole slots');
  const msg: SliceState = { type: 'slice-state', v, replyTo: f.int('replyTo'), version: f.int('version'), state: t };
  if (opt) msg.optimizer = opt;
  if (f.has('traffic')) {
    const t = f.object('traffic');
    msg.traffic = { bytesIn: t.int('bytesIn'), bytesOut: t.int('bytesOut'), gradientBytes: t.int('gradientBytes'), weightBytes: t.int('weightBytes') };
  }
  return msg;
}

export const SHARD_READERS: { [T in ShardMessage['type']]: (f: Fields) => Extract<ShardMessage, { type: T }> } = {
  attach,
  'shard-open': shardOpen,
  'shard-ready': shardReady,
  receipt,
  verdict,
  deliver,
  forget,
  fetch,
  'slice-state': sliceState,
};
