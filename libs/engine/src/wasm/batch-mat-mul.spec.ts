import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initWasmAndCpu, randomValues, relativeError, valuesOn, KERNEL_TOLERANCE } from '../testing';

const TOL = KERNEL_TOLERANCE;

describe('wasm BatchMatMul (transposed operands) vs cpu', () => {
  beforeAll(initWasmAndCpu);

  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('transposeA=%s transposeB=%s, 2-D and batched', (ta, tb) => {
    for (const [batch, m, k, n] of [
      [1, 7, 13, 5],
      [3, 4, 9, 6],
      [1, 64, 1600, 128], // the dense layer of the model of record: simd/gemm.wat (M % 4, N % 8)
      [1, 1600, 64, 128], // its weight gradient's shape
      [1, 64, 128, 1600], // its input gradient's shape
      [2, 8, 12, 16], // batched: simd/gemm.wat per matrix
      [2, 8, 12, 12], // N not a multiple of 8: SIMD transposes + stock
    ] as const) {
      const aShape = ta ? [batch, k, m] : [batch, m, k];
      const bShape = tb ? [batch, n, k] : [batch, k, n];
      const a = randomValues(batch * m * k, 9);
      const b = randomValues(batch * k * n, 10);
      const run = (): tf.Tensor => {
        const at = batch === 1 ? tf.tensor2d(a, aShape.slice(1) as [number, number]) : tf.tensor3d(a, aShape as [number, number, number]);
        const bt = batch === 1 ? tf.tensor2d(b, bShape.slice(1) as [number, number]) : tf.tensor3d(b, bShape as [number, number, number]);
        return tf.matMul(at, bt, ta, tb);
      };
      const got = valuesOn('wasm', run);
      expect(got.length).toBe(batch * m * n);
      expect(relativeError(got, valuesOn('cpu', run))).toBeLessThan(TOL);
      expect(tf.tidy(() => run().shape)).toEqual(batch === 1 ? [m, n] : [batch, m, n]);
    }
  });

  it('broadcasts a batch of one against a batch of two (stock path)', () => {
    const a = randomValues(2 * 8 * 12, 11);
    const b = randomValues(12 * 16, 12);
    const run = (): tf.Tensor => tf.matMul(tf.tensor3d(a, [2, 8, 12]), tf.tensor3d(b, [1, 12, 16]));
    expect(relativeError(valuesOn('wasm', run), valuesOn('cpu', run))).toBeLessThan(TOL);
  });
});
