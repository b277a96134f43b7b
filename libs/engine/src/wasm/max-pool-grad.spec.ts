import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initWasmAndCpu, randomValues, relativeError, valuesOn, KERNEL_TOLERANCE } from '../testing';
import { simdKernels } from './simd/simd-kernels';
import type { WasmBackendLike } from './wasm-memory';

const TOL = KERNEL_TOLERANCE;

const CASES = [
  { shape: [2, 8, 8, 3], size: 2, s: 2, pad: 'valid' as const },
  { shape: [3, 11, 11, 5], size: 2, s: 2, pad: 'valid' as const }, // odd edge left uncovered
  { shape: [2, 9, 7, 4], size: 3, s: 2, pad: 'same' as const },
  { shape: [1, 10, 10, 2], size: 3, s: 1, pad: 'valid' as const }, // overlapping windows accumulate
  { shape: [2, 7, 7, 6], size: 2, s: 2, pad: 'same' as const },
  // Channels a multiple of 4: the wasm SIMD kernel.
  { shape: [2, 8, 8, 8], size: 2, s: 2, pad: 'valid' as const },
  { shape: [3, 11, 11, 12], size: 2, s: 2, pad: 'valid' as const }, // odd edge left uncovered
  { shape: [2, 9, 8, 4], size: 2, s: 2, pad: 'valid' as const }, // odd height only
  { shape: [2, 8, 9, 4], size: 2, s: 2, pad: 'valid' as const }, // odd width only
  { shape: [4, 26, 26, 32], size: 2, s: 2, pad: 'valid' as const }, // the model of record's first pool
];

describe('wasm MaxPoolGrad vs cpu', () => {
  beforeAll(initWasmAndCpu);

  it.each(CASES)('%o', (c) => {
    const x = randomValues(c.shape.reduce((a, b) => a * b, 1), 7);
    // Weight each output differently so a gradient routed to the wrong cell shows up.
    const loss = (a: tf.Tensor): tf.Scalar => {
      const p = tf.maxPool(a as tf.Tensor4D, c.size, c.s, c.pad);
      return tf.sum(tf.mul(p, tf.range(1, 1 + p.size).reshape(p.shape)));
    };
    const run = (): tf.Tensor => {
      // dirty memory of dx's size just freed, so dx most likely lands on it: uncovered cells must be cleared
      tf.fill(c.shape, 7).dispose();
      return tf.grad(loss)(tf.tensor4d(x, c.shape as [number, number, number, number]));
    };
    expect(relativeError(valuesOn('wasm', run), valuesOn('cpu', run))).toBeLessThan(TOL);
  });

  it('runs the SIMD module on the backend heap (the cases above with 4k channels take that path)', () => {
    tf.setBackend('wasm');
    const backend = tf.engine().backend as unknown as WasmBackendLike;
    expect(simdKernels(backend.wasm.asm?.memory)).toBeDefined();
  });

  it('routes ties (all-zero windows after ReLU) to the same cell as cpu', () => {
    const x = randomValues(2 * 6 * 6 * 4, 8).map((v) => (v < 0.3 ? 0 : v));
    const run = (): tf.Tensor => tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(tf.relu(a) as tf.Tensor4D, 2, 2, 'valid')))(tf.tensor4d(x, [2, 6, 6, 4]));
    expect(Array.from(valuesOn('wasm', run))).toEqual(Array.from(valuesOn('cpu', run)));
  });
});
