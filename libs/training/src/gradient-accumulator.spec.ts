import { createRng } from '@dtrain/common';
import { describe, expect, it } from 'vitest';
import { decodeTensor, encodeTensor } from './codec';
import { GradientAccumulator } from './gradient-accumulator';

describe('GradientAccumulator', () => {
  it('mean equals the mean over concatenated batches when weights are sample counts', () => {
    const n = 100;
    const r = createRng(4);
    const acc = new GradientAccumulator(n);
    const all: Float32Array[] = [];
    for (const samples of [5, 1, 12]) {
      const rows = Array.from({ length: samples }, () => Float32Array.from({ length: n }, () => r.normal()));
      all.push(...rows);
      const mean = new Float32Array(n);
      for (const row of rows) for (let i = 0; i < n; i++) mean[i]! += row[i]! / samples;
      acc.add(mean, samples);
    }
    expect(acc.count).toBe(3);
    expect(acc.totalWeight).toBe(18);
    const m = acc.mean();
    for (let i = 0; i < n; i++) expect(m[i]).toBeCloseTo(all.reduce((s, row) => s + row[i]!, 0) / all.length, 5);
  });

  it('adds encoded gradients as their decoded values, and resets', () => {
    const g = Float32Array.from({ length: 50 }, (_, i) => Math.cos(i));
    const e = encodeTensor(g, { kind: 'topk', ratio: 0.2 });
    const acc = new GradientAccumulator(50);
    acc.add(e, 3);
    acc.add(g, 1);
    const expected = decodeTensor(e).map((v, i) => (3 * v + g[i]!) / 4);
    const out = new Float32Array(50);
    expect(acc.mean(out)).toBe(out);
    for (let i = 0; i < 50; i++) expect(out[i]).toBeCloseTo(expected[i]!, 6);
    acc.reset();
    expect(acc.count).toBe(0);
    expect(acc.totalWeight).toBe(0);
    expect(() => acc.mean()).toThrow(expect.objectContaining({ code: 'TRAIN_ERR_EMPTY' }));
  });

  it('rejects bad weights and sizes', () => {
    const acc = new GradientAccumulator(2);
    for (const w of [0, -1, NaN, Infinity]) {
      expect(() => acc.add(new Float32Array(2), w)).toThrow(expect.objectContaining({ code: 'TRAIN_ERR_BAD_WEIGHT' }));
    }
    expect(() => acc.add(new Float32Array(3), 1)).toThrow(expect.objectContaining({ code: 'TRAIN_ERR_SIZE_MISMATCH' }));
    expect(() => acc.add(encodeTensor(new Float32Array(3), { kind: 'fp16' }), 1)).toThrow(
      expect.objectContaining({ code: 'TRAIN_ERR_SIZE_MISMATCH' }),
    );
    expect(acc.count).toBe(0);
  });
});
