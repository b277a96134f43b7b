import { describe, expect, it } from 'vitest';
import { createOptimizer } from './create-optimizer';
import { createSgd } from './sgd';

describe('createSgd', () => {
  it('plain SGD is w − lr·g and keeps no slots', () => {
    const w = Float32Array.of(1, 2);
    const opt = createSgd(2, { learningRate: 0.5 });
    opt.apply(w, Float32Array.of(1, -2));
    expect([...w]).toEqual([0.5, 3]);
    expect(opt.state()).toEqual({ kind: 'sgd', step: 1, slots: {} });
  });

  it('momentum accumulates a ← μa + g and steps by lr·a (hand-computed)', () => {
    const w = Float32Array.of(0);
    const opt = createSgd(1, { learningRate: 0.1, momentum: 0.5 });
    for (const g of [1, 1, 1]) opt.apply(w, Float32Array.of(g));
    // a = 1, 1.5, 1.75 → w = −0.1·(4.25)
    expect(w[0]).toBeCloseTo(-0.425, 6);
    expect(opt.state().slots.accumulation![0]).toBeCloseTo(1.75, 6);
  });

  it('Nesterov steps by lr·(g + μa)', () => {
    const w = Float32Array.of(0);
    const opt = createSgd(1, { learningRate: 0.1, momentum: 0.5, nesterov: true });
    opt.apply(w, Float32Array.of(1)); // a = 1, step 0.1·1.5
    opt.apply(w, Float32Array.of(1)); // a = 1.5, step 0.1·1.75
    expect(w[0]).toBeCloseTo(-0.325, 6);
  });

  it('mask freezes weights and their accumulation; state round-trips', () => {
    const mask = Uint8Array.of(1, 0, 1);
    const w = Float32Array.of(1, 1, 1);
    const opt = createOptimizer({ kind: 'sgd', learningRate: 0.1, momentum: 0.9 }, 3);
    opt.apply(w, Float32Array.of(1, 1, 1), mask);
    expect(w[1]).toBe(1);
    expect(opt.state().slots.accumulation![1]).toBe(0);
    const copy = w.slice();
    const resumed = createOptimizer({ kind: 'sgd', learningRate: 0.1, momentum: 0.9 }, 3, opt.state());
    opt.apply(w, Float32Array.of(2, 2, 2), mask);
    resumed.apply(copy, Float32Array.of(2, 2, 2), mask);
    expect(copy).toEqual(w);
    const plain = createSgd(3, {}, { kind: 'sgd', step: 4, slots: {} });
    expect(plain.state().step).toBe(4);
    expect(() => createSgd(3, { momentum: 0.9 }, plain.state())).toThrow(expect.objectContaining({ code: 'TRAIN_ERR_BAD_OPTIMIZER' }));
    expect(() => createSgd(3, { momentum: 1 })).toThrow(expect.objectContaining({ code: 'TRAIN_ERR_BAD_OPTIMIZER' }));
  });
});
