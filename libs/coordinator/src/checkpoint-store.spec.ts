import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckpointState } from './checkpoint-state';
import { CheckpointStore, decodeCheckpoint, encodeCheckpoint } from './checkpoint-store';

function state(updates: number): CheckpointState {
  const w = Float32Array.from({ length: 1001 }, (_, i) => Math.sin(i + updates));
  return {
    runId: 'run-1',
    epoch: 1,
    step: updates + 3,
    updates,
    samples: updates * 64,
    version: updates,
    store: { version: updates, weights: w, optimizer: { kind: 'adam', step: updates, slots: { m: w.map((x) => x / 2), v: w.map((x) => x * x) } } },
    plan: { epoch: 1, parts: { a: { spec: { strategy: 'iid', seed: 1, index: 0, count: 2 }, queue: [5, 3, 9] } }, orphans: [7] },
    members: [{ workerId: 'a', clock: 4 }],
    applied: ['a#1', 'b#1'],
    seed: 1,
    report: undefined,
  };
}

describe('checkpoint encoding', () => {
  it('round-trips every field, typed arrays included', () => {
    const s = state(12);
    const back = decodeCheckpoint(encodeCheckpoint(s));
    expect(back.store.weights).toBeInstanceOf(Float32Array);
    expect(Array.from(back.store.weights)).toEqual(Array.from(s.store.weights));
    expect(Array.from(back.store.optimizer.slots['v']!)).toEqual(Array.from(s.store.optimizer.slots['v']!));
    expect({ ...back, store: undefined }).toEqual({ ...s, store: undefined, report: undefined });
  });

  it.each([
    ['a flipped byte', (b: Buffer) => (b.writeUInt8(b.readUInt8(b.length >> 1) ^ 0xff, b.length >> 1), b)],
    ['a truncated file', (b: Buffer) => b.subarray(0, b.length - 100)],
    ['wrong magic', (b: Buffer) => (b.write('XXXX', 0), b)],
    ['an empty file', () => Buffer.alloc(0)],
  ])('rejects %s with CKPT_ERR_CORRUPT', (_, mutate) => {
    const b = mutate(Buffer.from(encodeCheckpoint(state(1))));
    expect(() => decodeCheckpoint(b)).toThrow(expect.objectContaining({ code: 'CKPT_ERR_CORRUPT' }));
  });
});

describe('CheckpointStore', () => {
  it('loads the newest valid checkpoint, skipping a torn newer one, and keeps only the last K', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ckpt-'));
    const warnings: string[] = [];
    const store = new CheckpointStore(dir, {
      keep: 2,
      log: { debug() {}, info() {}, error() {}, warn: (m: string) => warnings.push(m), child() { return this; } },
    });
    await store.save(state(10));
    await store.save(state(20));
    await store.save(state(30));
    expect(await store.list()).toEqual(['checkpoint-000000000020.bin', 'checkpoint-000000000030.bin']);
    // Simulate a crash mid-write of the newest file.
    const newest = join(dir, 'checkpoint-000000000030.bin');
    const bytes = await readFile(newest);
    await writeFile(newest, bytes.subarray(0, bytes.length / 2));
    const loaded = await store.loadLatest();
    expect(loaded?.state.updates).toBe(20);
    expect(warnings).toHaveLength(1);
    expect((await readdir(dir)).some((n) => n.endsWith('.tmp'))).toBe(false);
  });

  it('skips a checkpoint with poisoned (non-finite) optimizer state for the next older one, naming both', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ckpt-'));
    const warnings: { msg: string; fields: Record<string, unknown> }[] = [];
    const store = new CheckpointStore(dir, {
      keep: 3,
      log: { debug() {}, info() {}, error() {}, warn: (msg: string, fields?: Record<string, unknown>) => warnings.push({ msg, fields: fields ?? {} }), child() { return this; } },
    });
    await store.save(state(10));
    const poisoned = state(20);
    poisoned.store.optimizer.slots['v']![7] = Infinity;
    await store.save(poisoned);
    const loaded = await store.loadLatest();
    expect(loaded?.state.updates).toBe(10);
    expect(warnings).toEqual([
      {
        msg: 'skipping unreadable checkpoint',
        fields: { path: join(dir, 'checkpoint-000000000020.bin'), error: expect.stringContaining('optimizer v[7] is Infinity'), next: join(dir, 'checkpoint-000000000010.bin') },
      },
    ]);
  });

  it('returns undefined for an empty or missing directory', async () => {
    expect(await new CheckpointStore(join(tmpdir(), 'no-such-dir-dtrain')).loadLatest()).toBeUndefined();
  });
});
