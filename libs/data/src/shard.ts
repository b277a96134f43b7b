import { createRng, mixSeed, shuffleInPlace } from '@dtrain/common';
import { MAX_SHARD_COUNT } from './constants';
import { DataError } from './data-error';

import type { ShardSpec, ShardStrategy } from '@dtrain/protocol';
import { SHARD_STRATEGIES } from '@dtrain/protocol';

// The shard spec is a wire concept (the server sends it to workers): the protocol declares it.
export type { ShardSpec, ShardStrategy } from '@dtrain/protocol';
export { SHARD_STRATEGIES } from '@dtrain/protocol';

/** Stream tags mixed into the seed so the shard permutation is independent of other uses of the seed. */
const TAG_IID = 0x11d;
const TAG_CLASS_ORDER = 0xc1a55;
const TAG_WITHIN_CLASS = 0xc1a56;
const UINT32_MAX = 0xffff_ffff;

/**
 * Checks an untrusted value (e.g. from a network frame) and returns a clean ShardSpec. Unknown fields
 * are dropped, not rejected, matching @dtrain/protocol's forward-compatibility rule.
 */
export function validateShardSpec(x: unknown): ShardSpec {
  const bad = (why: string): DataError => new DataError('DATA_ERR_BAD_SHARD', `invalid shard spec: ${why}`, { spec: x });
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw bad('not an object');
  const o = x as Record<string, unknown>;
  const { strategy, seed, index, count } = o;
  if (typeof strategy !== 'string' || !(SHARD_STRATEGIES as readonly string[]).includes(strategy)) {
    throw bad(`strategy must be one of ${SHARD_STRATEGIES.join(', ')}`);
  }
  if (!isInt(seed) || seed < 0 || seed > UINT32_MAX) throw bad('seed must be an integer in 0..2^32-1');
  if (!isInt(count) || count < 1 || count > MAX_SHARD_COUNT) throw bad(`count must be an integer in 1..${MAX_SHARD_COUNT}`);
  if (!isInt(index) || index < 0 || index >= count) throw bad('index must be an integer in 0..count-1');
  return { strategy: strategy as ShardStrategy, seed, index, count };
}

/**
 * The sample indices of one shard, ascending. Over index = 0..count-1 the shards are disjoint and cover
 * every sample exactly once; sizes differ by at most one.
 *   iid       a seeded permutation of all samples cut into `count` contiguous blocks.
 *   by-class  samples ordered by class (class order and order within a class seeded), then cut into
 *             blocks, so each shard sees only about numClasses/count classes (non-IID, as in FedAvg's
 *             pathological split).
 */
export function shardIndices(spec: ShardSpec, labels: Uint8Array, numClasses: number): Uint32Array {
  const { strategy, seed, index, count } = validateShardSpec(spec);
  const n = labels.length;
  if (count > n) {
    throw new DataError('DATA_ERR_BAD_SHARD', `${count} shards for ${n} samples would leave shards empty`, { count, samples: n });
  }
  const order = strategy === 'iid' ? iidOrder(n, seed) : byClassOrder(labels, numClasses, seed);
  const shard = order.slice(Math.floor((index * n) / count), Math.floor(((index + 1) * n) / count));
  return shard.sort();
}

function iidOrder(n: number, seed: number): Uint32Array {
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  return shuffleInPlace(order, createRng(mixSeed(seed, TAG_IID)));
}

function byClassOrder(labels: Uint8Array, numClasses: number, seed: number): Uint32Array {
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  labels.forEach((l, i) => {
    const bucket = byClass[l];
    if (bucket === undefined) {
      throw new DataError('DATA_ERR_BAD_LABEL', `sample ${i} has label ${l}, but there are ${numClasses} classes`, { index: i, label: l, numClasses });
    }
    bucket.push(i);
  });
  const classOrder = shuffleInPlace(Array.from({ length: numClasses }, (_, c) => c), createRng(mixSeed(seed, TAG_CLASS_ORDER)));
  const order = new Uint32Array(labels.length);
  let o = 0;
  for (const c of classOrder) {
    const members = shuffleInPlace(byClass[c] ?? [], createRng(mixSeed(seed, TAG_WITHIN_CLASS, c)));
    order.set(members, o);
    o += members.length;
  }
  return order;
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}
