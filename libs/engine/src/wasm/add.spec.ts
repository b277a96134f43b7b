import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initWasmAndCpu, randomValues, relativeError, valuesOn } from '../testing';

const TOL = 1e-6;

describe('wasm Add vs cpu', () => {
  beforeAll(initWasmAndCpu);

  it.each([
    { a: [64, 26, 26, 32], b: [32] }, // conv1's bias: SIMD
    { a: [3, 8], b: [8] }, // SIMD
    { a: [8], b: [5, 8] }, // bias first: SIMD, swapped
    { a: [3, 7, 4, 16], b: [1, 1, 1, 16] }, // tf.layers' bias of a separable / depthwise conv: SIMD
    { a: [1, 8], b: [6, 8] }, // a [1, C] bias first: SIMD, swapped
    { a: [5, 8], b: [1, 1, 8] }, // bias of higher rank (result [1, 5, 8]): stock
    { a: [3, 4, 8], b: [1, 4, 8] }, // not a row: stock
    { a: [4, 6], b: [6] }, // not a multiple of 4: stock
    { a: [4, 8], b: [4, 8] }, // same shapes: stock
    { a: [4, 1], b: [4] }, // broadcast both ways: stock
    { a: [2, 3, 4], b: [3, 1] },
  ])('%o', (c) => {
    const x = randomValues(c.a.reduce((p, q) => p * q, 1), 1);
    const y = randomValues(c.b.reduce((p, q) => p * q, 1), 2);
    const run = (): tf.Tensor => tf.add(tf.tensor(x, c.a), tf.tensor(y, c.b));
    const got = valuesOn('wasm', run);
    const want = valuesOn('cpu', run);
    expect(relativeError(got, want)).toBeLessThan(TOL);
    expect(tf.tidy(() => run().shape)).toEqual(tf.tidy(() => tf.add(tf.zeros(c.a), tf.zeros(c.b)).shape));
  });

  it('keeps int32 adds exact (stock kernel)', () => {
    const run = (): tf.Tensor => tf.add(tf.tensor([[1, 2, 3, 4]], [1, 4], 'int32'), tf.tensor([10, 20, 30, 40], [4], 'int32'));
    expect(Array.from(valuesOn('wasm', run))).toEqual([11, 22, 33, 44]);
  });
});
