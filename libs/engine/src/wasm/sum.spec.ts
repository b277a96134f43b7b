import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initWasmAndCpu, randomValues, relativeError, valuesOn, KERNEL_TOLERANCE } from '../testing';

const TOL = KERNEL_TOLERANCE;

describe('wasm Sum vs cpu', () => {
  beforeAll(initWasmAndCpu);

  it.each([
    { shape: [4, 5, 6, 7], axis: [0, 1, 2], keepDims: false },
    { shape: [4, 5, 6, 7], axis: [0, 1, 2], keepDims: true },
    { shape: [64, 10], axis: [0], keepDims: false }, // 8-wide block plus a scalar tail
    { shape: [300, 16], axis: [0], keepDims: false }, // SIMD (multiple of 4)
    { shape: [64, 26, 26, 32], axis: [0, 1, 2], keepDims: false }, // conv1's bias gradient, SIMD
    { shape: [4, 5, 6], axis: [2], keepDims: false }, // not leading: stock kernel
    { shape: [4, 5, 6], axis: [0, 2], keepDims: false },
    { shape: [4, 5], axis: [0, 1], keepDims: false }, // full reduction: stock kernel
  ])('%o', (c) => {
    const x = randomValues(c.shape.reduce((a, b) => a * b, 1), 11);
    const run = (): tf.Tensor => tf.sum(tf.tensor(x, c.shape), c.axis, c.keepDims);
    const got = valuesOn('wasm', run);
    const want = valuesOn('cpu', run);
    expect(relativeError(got, want)).toBeLessThan(TOL);
    const shape = tf.tidy(() => run().shape);
    expect(shape).toEqual(tf.tidy(() => tf.sum(tf.zeros(c.shape), c.axis, c.keepDims).shape));
  });
});
