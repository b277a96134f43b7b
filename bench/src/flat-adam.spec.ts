import { describe, expect, it } from 'vitest';
import { createFlatAdam } from './flat-adam';

describe('createFlatAdam', () => {
  it('moves each weight by ≈lr against the gradient sign on the first step (bias-corrected)', () => {
    const step = createFlatAdam(3);
    const w = new Float32Array([1, 1, 1]);
    step(w, new Float32Array([0.5, -2, 0]));
    expect(w[0]).toBeCloseTo(1 - 1e-3, 6);
    expect(w[1]).toBeCloseTo(1 + 1e-3, 6);
    expect(w[2]).toBe(1);
  });

  it('minimises a quadratic', () => {
    const step = createFlatAdam(1, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    const w = new Float32Array([5]);
    for (let i = 0; i < 500; i++) step(w, new Float32Array([2 * (w[0] as number)]));
    expect(Math.abs(w[0] as number)).toBeLessThan(0.05);
  });
});
