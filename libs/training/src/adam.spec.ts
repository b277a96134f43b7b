import { createRng } from '@dtrain/common';
import { describe, expect, it } from 'vitest';
import { createAdam } from './adam';
import { createSimdAdam } from './simd/simd-adam';
import { createOptimizer } from './create-optimizer';

function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const r = createRng(seed);
  return Float32Array.from({ length: n }, () => r.normal() * scale);
}

/** Textbook Adam in plain double-precision arrays, written from the paper / TF.js formula, not from adam.ts. */
function referenceAdam(w0: number[], grads: number[][], lr: number, b1: number, b2: number, eps: number): number[] {
  const w = [...w0];
  const m = w.map(() => 0);
  const v = w.map(() => 0);
  grads.forEach((g, k) => {
    const t = k + 1;
    for (let i = 0; i < w.length; i++) {
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! * g[i]!;
      const mHat = m[i]! / (1 - Math.pow(b1, t));
      const vHat = v[i]! / (1 - Math.pow(b2, t));
      w[i] = w[i]! - (lr * mHat) / (Math.sqrt(vHat) + eps);
    }
  });
  return w;
}

describe('createAdam', () => {
  it('matches an independent reference over several steps, with bias correction', () => {
    const n = 1000;
    const steps = 12;
    const w = randomArray(n, 1);
    const w0 = [...w];
    const grads = Array.from({ length: steps }, (_, k) => randomArray(n, 100 + k, 0.1 * (k + 1)));
    const opt = createAdam(n, { learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-7 });
    grads.forEach((g) => opt.apply(w, g));
    const ref = referenceAdam(w0, grads.map((g) => [...g]), 0.01, 0.8, 0.99, 1e-7);
    let maxErr = 0;
    for (let i = 0; i < n; i++) maxErr = Math.max(maxErr, Math.abs(w[i]! - ref[i]!));
    expect(maxErr).toBeLessThan(1e-6);
    // The update actually moved the weights by about lr per step (Adam's normalised step size).
    expect(Math.abs(w[0]! - w0[0]!)).toBeGreaterThan(0.005);
    expect(opt.state().step).toBe(steps);
  });

  it('uses the TF.js defaults (lr 1e-3, β 0.9/0.999, ε 1e-7): the first step is ≈ lr·sign(g)', () => {
    const w = new Float32Array(3);
    createAdam(3).apply(w, Float32Array.of(2, -0.5, 0));
    expect(w[0]).toBeCloseTo(-1e-3, 9);
    expect(w[1]).toBeCloseTo(1e-3, 9);
    expect(w[2]).toBe(0);
  });

  it('leaves frozen weights and their moments untouched', () => {
    const n = 64;
    const mask = Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : 1));
    const w = randomArray(n, 2);
    const before = w.slice();
    const opt = createAdam(n, { learningRate: 0.1 });
    for (let k = 0; k < 4; k++) opt.apply(w, randomArray(n, 10 + k), mask);
    const { slots } = opt.state();
    for (let i = 0; i < n; i++) {
      if (mask[i] === 0) {
        expect(w[i]).toBe(before[i]);
        expect(slots.m![i]).toBe(0);
        expect(slots.v![i]).toBe(0);
      } else {
        expect(w[i]).not.toBe(before[i]);
        expect(slots.v![i]).toBeGreaterThan(0);
      }
    }
  });

  it('continues identically from state(), which is a snapshot', () => {
    const n = 200;
    const a = randomArray(n, 3);
    const opt = createAdam(n, { learningRate: 0.05 });
    for (let k = 0; k < 3; k++) opt.apply(a, randomArray(n, 20 + k));
    const snap = opt.state();
    const b = a.slice();
    const resumed = createOptimizer({ kind: 'adam', learningRate: 0.05 }, n, snap);
    for (let k = 3; k < 7; k++) {
      const g = randomArray(n, 20 + k);
      opt.apply(a, g);
      resumed.apply(b, g);
    }
    expect(b).toEqual(a);
    expect(resumed.state()).toEqual(opt.state());
    // The snapshot did not move with the optimizer that produced it.
    expect(snap.step).toBe(3);
  });

  it('rejects bad sizes, hyper-parameters and states with stable codes', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return 'no error';
    };
    expect(code(() => createAdam(4, { beta1: 1 }))).toBe('TRAIN_ERR_BAD_OPTIMIZER');
    expect(code(() => createAdam(4, { epsilon: 0 }))).toBe('TRAIN_ERR_BAD_OPTIMIZER');
    expect(code(() => createAdam(4, { learningRate: NaN }))).toBe('TRAIN_ERR_BAD_OPTIMIZER');
    expect(code(() => createAdam(-1))).toBe('TRAIN_ERR_BAD_OPTIMIZER');
    const opt = createAdam(4);
    expect(code(() => (opt.learningRate = -1))).toBe('TRAIN_ERR_BAD_OPTIMIZER');
    expect(code(() => opt.apply(new Float32Array(4), new Float32Array(3)))).toBe('TRAIN_ERR_SIZE_MISMATCH');
    expect(code(() => opt.apply(new Float32Array(4), new Float32Array(4), new Uint8Array(5)))).toBe('TRAIN_ERR_SIZE_MISMATCH');
    const good = opt.state();
    expect(code(() => createAdam(5, {}, good))).toBe('TRAIN_ERR_BAD_OPTIMIZER');
    expect(code(() => createAdam(4, {}, { ...good, kind: 'sgd' }))).toBe('TRAIN_ERR_BAD_OPTIMIZER');
    expect(code(() => createAdam(4, {}, { ...good, step: 1.5 }))).toBe('TRAIN_ERR_BAD_OPTIMIZER');
    expect(code(() => createAdam(4, {}, { ...good, slots: { m: good.slots.m! } }))).toBe('TRAIN_ERR_BAD_OPTIMIZER');
    expect(code(() => createAdam(4, {}, { ...good, slots: { ...good.slots, v: Float32Array.of(0, NaN, 0, 0) } }))).toBe(
      'TRAIN_ERR_BAD_OPTIMIZER',
    );
    expect(code(() => createOptimizer({ kind: 'rmsprop' } as never, 4))).toBe('TRAIN_ERR_BAD_OPTIMIZER');
  });
});

describe('createAdam: the wasm SIMD element loop', () => {
  it('loads here (Node ≥ 20 has wasm SIMD), so the comparisons below compare two loops', () => {
    expect(createSimdAdam(8)).toBeDefined();
  });

  it('gives the same bits as the JS loop: every size mod 4, masked and not, gradients over 12 orders of magnitude', () => {
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 1003, 4096]) {
      const mask = Uint8Array.from({ length: n }, (_, i) => (i % 3 === 1 ? 0 : 1));
      for (const masked of [false, true]) {
        const w0 = randomArray(n, n);
        const fast = createAdam(n, { learningRate: 3e-3 });
        const slow = createAdam(n, { learningRate: 3e-3, simd: false });
        const wf = w0.slice();
        const ws = w0.slice();
        for (let t = 0; t < 12; t++) {
          const g = randomArray(n, 100 * n + t, 10 ** (t - 8));
          fast.apply(wf, g, masked ? mask : undefined);
          slow.apply(ws, g, masked ? mask : undefined);
        }
        expect(Buffer.from(wf.buffer).equals(Buffer.from(ws.buffer))).toBe(true);
        const sf = fast.state();
        const ss = slow.state();
        expect(Buffer.from(sf.slots.m!.buffer).equals(Buffer.from(ss.slots.m!.buffer))).toBe(true);
        expect(Buffer.from(sf.slots.v!.buffer).equals(Buffer.from(ss.slots.v!.buffer))).toBe(true);
        if (masked) expect(wf[1]).toBe(w0[1]);
      }
    }
  });

  it('continues identically across the two loops from a checkpointed state', () => {
    const n = 1001;
    const a = createAdam(n, { simd: false });
    const w = randomArray(n, 5);
    for (let t = 0; t < 3; t++) a.apply(w, randomArray(n, 50 + t));
    const fromJs = createAdam(n, {}, a.state());
    const w2 = w.slice();
    const g = randomArray(n, 99);
    fromJs.apply(w, g);
    a.apply(w2, g);
    expect(Buffer.from(w.buffer).equals(Buffer.from(w2.buffer))).toBe(true);
    const back = createAdam(n, { simd: false }, fromJs.state());
    const g2 = randomArray(n, 98);
    back.apply(w, g2);
    a.apply(w2, g2);
    expect(Buffer.from(w.buffer).equals(Buffer.from(w2.buffer))).toBe(true);
  });
});
