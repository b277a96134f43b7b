import { describe, expect, it } from 'vitest';
import { epochOrder } from './epoch-order';
import { SHARD_STRATEGIES, shardIndices, validateShardSpec } from './shard';
import type { ShardStrategy } from './shard';
import { syntheticDataset } from './testing';

const ds = syntheticDataset({ count: 1003, rows: 1, cols: 1, numClasses: 10 });

function allShards(strategy: ShardStrategy, count: number, seed = 42): Uint32Array[] {
  return Array.from({ length: count }, (_, index) => shardIndices({ strategy, seed, index, count }, ds.labels, ds.numClasses));
}

describe.each(SHARD_STRATEGIES)('shardIndices %s', (strategy) => {
  it.each([1, 2, 3, 7])('%i shards are disjoint, complete, ascending and differ in size by ≤ 1', (count) => {
    const shards = allShards(strategy, count);
    const seen = new Uint8Array(ds.count);
    for (const s of shards) {
      for (let i = 0; i < s.length; i++) {
        seen[s[i]!]!++;
        if (i > 0) expect(s[i]!).toBeGreaterThan(s[i - 1]!);
      }
    }
    expect(seen.every((v) => v === 1)).toBe(true);
    const sizes = shards.map((s) => s.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('is deterministic in (seed, index, count) and depends on the seed', () => {
    expect(allShards(strategy, 4, 9)).toEqual(allShards(strategy, 4, 9));
    expect(allShards(strategy, 4, 9)).not.toEqual(allShards(strategy, 4, 10));
  });

  it('rejects more shards than samples', () => {
    const tiny = new Uint8Array([0, 1]);
    expect(() => shardIndices({ strategy, seed: 1, index: 0, count: 3 }, tiny, 2)).toThrow(expect.objectContaining({ code: 'DATA_ERR_BAD_SHARD' }));
  });
});

function classesIn(shard: Uint32Array): number {
  return new Set(Array.from(shard, (i) => ds.labels[i])).size;
}

describe('iid vs by-class skew', () => {
  it('iid shards see every class; by-class shards see only a few', () => {
    for (const s of allShards('iid', 5)) expect(classesIn(s)).toBe(10);
    for (const s of allShards('by-class', 5)) expect(classesIn(s)).toBeLessThanOrEqual(3);
    for (const s of allShards('by-class', 10)) expect(classesIn(s)).toBeLessThanOrEqual(2);
  });
  it('by-class rejects labels outside numClasses', () => {
    expect(() => shardIndices({ strategy: 'by-class', seed: 1, index: 0, count: 1 }, new Uint8Array([0, 5]), 3)).toThrow(
      expect.objectContaining({ code: 'DATA_ERR_BAD_LABEL' }),
    );
  });
});

describe('validateShardSpec', () => {
  const good = { strategy: 'iid', seed: 7, index: 1, count: 3 };
  it('returns a clean copy of a valid spec, including boundary values', () => {
    expect(validateShardSpec(good)).toEqual(good);
    expect(validateShardSpec({ ...good, future: 1 })).toEqual(good);
    expect(validateShardSpec({ strategy: 'by-class', seed: 0xffff_ffff, index: 65_535, count: 65_536 }).count).toBe(65_536);
  });
  it.each([
    null,
    'iid',
    [],
    { ...good, strategy: 'random' },
    { ...good, seed: -1 },
    { ...good, seed: 2 ** 32 },
    { ...good, seed: 1.5 },
    { ...good, index: 3 },
    { ...good, index: -1 },
    { ...good, count: 0 },
    { ...good, count: 65_537, index: 0 },
    { ...good, count: '3' },
    { strategy: 'iid', seed: 1, index: 0 },
  ])('rejects %j with DATA_ERR_BAD_SHARD', (x) => {
    expect(() => validateShardSpec(x)).toThrow(expect.objectContaining({ code: 'DATA_ERR_BAD_SHARD' }));
  });
});

describe('epochOrder', () => {
  const shard = shardIndices({ strategy: 'iid', seed: 3, index: 0, count: 2 }, ds.labels, 10);
  it('is a seeded permutation (copy) that changes with the epoch', () => {
    const before = shard.slice();
    const e0 = epochOrder(shard, 5, 0);
    expect(shard).toEqual(before);
    expect(Array.from(e0).sort((a, b) => a - b)).toEqual(Array.from(shard));
    expect(e0).toEqual(epochOrder(shard, 5, 0));
    expect(e0).not.toEqual(epochOrder(shard, 5, 1));
    expect(e0).not.toEqual(epochOrder(shard, 6, 0));
  });
});
