import { createRng } from '@dtrain/common';
import { describe, expect, it } from 'vitest';
import { weightedMeanInto } from './weighted-mean';

/** A "batch" of per-sample gradients, and its mean, which is what a worker would push. */
function batch(samples: number, n: number, seed: number): { rows: Float32Array[]; mean: Float32Array } {
  const r = createRng(seed);
  const rows = Array.from({ length: samples }, () => Float32Array.from({ length: n }, () => r.normal()));
  const mean = new Float32Array(n);
  for (const row of rows) for (let i = 0; i < n; i++) mean[i]! += row[i]! / samples;
  return { rows, mean };
}

describe('weightedMeanInto', () => {
  it('equals the mean over the concatenated batches when weights are sample counts (1–5 parts)', () => {
    const n = 257;
    for (let parts = 1; parts <= 5; parts++) {
      const batches = Array.from({ length: parts }, (_, k) => batch(3 + 4 * k, n, 40 + k));
      const all = batches.flatMap((b) => b.rows);
      const out = weightedMeanInto(
        new Float32Array(n).fill(123),
        batches.map((b) => ({ data: b.mean, weight: b.rows.length })),
      );
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (const row of all) s += row[i]!;
        expect(out[i]).toBeCloseTo(s / all.length, 5);
      }
    }
  });

  it('may write into one of its inputs', () => {
    const a = Float32Array.of(1, 2);
    const b = Float32Array.of(3, 4);
    const c = Float32Array.of(5, 6);
    weightedMeanInto(b, [
      { data: a, weight: 1 },
      { data: b, weight: 1 },
      { data: c, weight: 2 },
    ]);
    expect([...b]).toEqual([3.5, 4.5]);
  });

  it('rejects empty input, zero total, bad weights and length mismatches', () => {
    const x = new Float32Array(2);
    expect(() => weightedMeanInto(x, [])).toThrow(expect.objectContaining({ code: 'TRAIN_ERR_EMPTY' }));
    expect(() => weightedMeanInto(x, [{ data: x, weight: 0 }])).toThrow(expect.objectContaining({ code: 'TRAIN_ERR_EMPTY' }));
    expect(() => weightedMeanInto(x, [{ data: x, weight: -1 }])).toThrow(expect.objectContaining({ code: 'TRAIN_ERR_BAD_WEIGHT' }));
    expect(() => weightedMeanInto(x, [{ data: x, weight: NaN }])).toThrow(expect.objectContaining({ code: 'TRAIN_ERR_BAD_WEIGHT' }));
    expect(() => weightedMeanInto(x, [{ data: new Float32Array(3), weight: 1 }])).toThrow(
      expect.objectContaining({ code: 'TRAIN_ERR_SIZE_MISMATCH' }),
    );
  });
});
