import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initWasmAndCpu, randomValues, relativeError, valuesOn, KERNEL_TOLERANCE } from '../testing';

describe('wasm Mean vs cpu', () => {
  beforeAll(initWasmAndCpu);

  it.each([
    { shape: [4, 5, 6, 7], axis: [0, 1, 2], keepDims: false, offset: 0 },
    { shape: [4, 5, 6, 7], axis: [0, 1, 2], keepDims: true, offset: 0 },
    { shape: [1, 3, 3, 5], axis: [0, 1, 2], keepDims: false, offset: 0 }, // batch 1, odd sizes
    { shape: [64, 28, 28, 32], axis: [0, 1, 2], keepDims: false, offset: 1 }, // batch norm's moments after a conv (SIMD column sums)
    { shape: [64, 28, 28, 32], axis: [0, 1, 2], keepDims: false, offset: 0 }, // a mean near 0: error relative to its scale
    { shape: [300, 10], axis: [0], keepDims: false, offset: 0 },
    { shape: [4, 5, 6], axis: [2], keepDims: false, offset: 0 }, // not leading: stock kernel
    { shape: [4, 5], axis: [0, 1], keepDims: false, offset: 0 }, // full reduction: stock kernel
  ])('%o', (c) => {
    const x = randomValues(c.shape.reduce((a, b) => a * b, 1), 12).map((v) => v + c.offset);
    const run = (): tf.Tensor => tf.mean(tf.tensor(x, c.shape), c.axis, c.keepDims);
    const got = valuesOn('wasm', run);
    const want = valuesOn('cpu', run);
    expect(relativeError(got, want)).toBeLessThan(KERNEL_TOLERANCE);
    expect(tf.tidy(() => run().shape)).toEqual(tf.tidy(() => tf.mean(tf.zeros(c.shape), c.axis, c.keepDims).shape));
  });
});
