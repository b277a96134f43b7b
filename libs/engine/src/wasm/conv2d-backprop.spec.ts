import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initWasmAndCpu, randomValues, relativeError, valuesOn, KERNEL_TOLERANCE } from '../testing';

const TOL = KERNEL_TOLERANCE;

interface Case {
  b: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: number;
  s: number;
  pad: 'valid' | 'same';
}

const CASES: Case[] = [
  { b: 3, h: 10, w: 10, ci: 1, co: 4, k: 3, s: 1, pad: 'valid' }, // im2colᵀ · dy
  { b: 3, h: 12, w: 12, ci: 1, co: 32, k: 3, s: 1, pad: 'valid' }, // (dyᵀ · im2col)ᵀ, like conv1
  { b: 2, h: 9, w: 10, ci: 2, co: 40, k: 3, s: 2, pad: 'same' }, // (dyᵀ · im2col)ᵀ with padding + stride
  { b: 2, h: 9, w: 7, ci: 3, co: 5, k: 3, s: 1, pad: 'same' },
  { b: 2, h: 11, w: 11, ci: 4, co: 6, k: 3, s: 2, pad: 'valid' },
  { b: 1, h: 10, w: 9, ci: 2, co: 3, k: 3, s: 2, pad: 'same' },
  { b: 2, h: 8, w: 8, ci: 5, co: 2, k: 5, s: 1, pad: 'same' },
  { b: 4, h: 7, w: 12, ci: 8, co: 16, k: 2, s: 2, pad: 'valid' },
  { b: 2, h: 13, w: 13, ci: 32, co: 8, k: 3, s: 1, pad: 'valid' }, // dW by Winograd (C ≥ 16); dx by the forward-conv form (CO < 16)
  { b: 2, h: 9, w: 9, ci: 16, co: 4, k: 3, s: 2, pad: 'same' }, // forward-conv form, dilated
  { b: 2, h: 10, w: 10, ci: 16, co: 4, k: 3, s: 2, pad: 'valid' }, // would need negative padding: im2col
  // 'valid', output channels a multiple of 4, small filter: the direct SIMD kernel
  { b: 4, h: 28, w: 28, ci: 1, co: 32, k: 3, s: 1, pad: 'valid' }, // conv1 of the model of record (filter-grad-one-channel.wat)
  { b: 2, h: 7, w: 5, ci: 1, co: 8, k: 3, s: 1, pad: 'valid' }, // one channel, 3×3 output rows of 3
  { b: 1, h: 3, w: 3, ci: 1, co: 16, k: 3, s: 1, pad: 'valid' }, // one output pixel
  { b: 2, h: 9, w: 9, ci: 1, co: 8, k: 3, s: 2, pad: 'valid' }, // one channel, strided: filter-grad.wat
  { b: 3, h: 11, w: 9, ci: 3, co: 8, k: 3, s: 2, pad: 'valid' }, // stride 2, odd sizes
  { b: 2, h: 8, w: 10, ci: 2, co: 12, k: 2, s: 1, pad: 'valid' },
  { b: 2, h: 9, w: 9, ci: 4, co: 16, k: 5, s: 2, pad: 'valid' },
  // batch and channels multiples of 4: the forward-conv form's x transpose in SIMD (stride 2); conv2 by Winograd
  { b: 4, h: 13, w: 13, ci: 32, co: 64, k: 3, s: 1, pad: 'valid' }, // conv2 of the model of record
  { b: 8, h: 9, w: 9, ci: 16, co: 4, k: 3, s: 2, pad: 'same' },
  // stride-1 3×3 with ≥ 16 channels: the input (CO ≥ 16) and filter (C ≥ 16) gradients by Winograd (ragged tiles, padding, batch 1)
  { b: 1, h: 13, w: 13, ci: 32, co: 64, k: 3, s: 1, pad: 'valid' },
  { b: 2, h: 7, w: 10, ci: 16, co: 16, k: 3, s: 1, pad: 'same' },
  { b: 3, h: 6, w: 5, ci: 4, co: 16, k: 3, s: 1, pad: 'valid' },
  { b: 2, h: 5, w: 6, ci: 18, co: 18, k: 3, s: 1, pad: 'same' }, // channels not a multiple of 4: stock path on SIMD
  { b: 1, h: 7, w: 5, ci: 16, co: 4, k: 3, s: 1, pad: 'valid' }, // 6 tiles: the filter gradient's alignment rows
  { b: 3, h: 8, w: 9, ci: 16, co: 20, k: 3, s: 1, pad: 'same' },
  { b: 2, h: 7, w: 8, ci: 20, co: 8, k: 3, s: 1, pad: 'valid' }, // C not a multiple of 8: dW's GEMMs by XNNPACK, not simd/gemm.wat
  { b: 16, h: 7, w: 7, ci: 16, co: 32, k: 3, s: 1, pad: 'valid' }, // (filter too big for the direct kernel) dW in passes of 14 and 2 images (126, 18 tiles), summed
];

/** Input gradient only: the cpu backend's filter gradient of a full batch takes ~40 s. */
const INPUT_ONLY: Case[] = [
  { b: 64, h: 13, w: 13, ci: 32, co: 64, k: 3, s: 1, pad: 'valid' }, // conv2 of the model of record, full batch (Winograd)
];

function outSize(n: number, k: number, s: number, pad: 'valid' | 'same'): number {
  return pad === 'same' ? Math.ceil(n / s) : Math.ceil((n - k + 1) / s);
}

describe('wasm conv2d gradient kernels vs cpu', () => {
  beforeAll(initWasmAndCpu);

  it.each(CASES)('Conv2DBackpropFilter %o', (c) => {
    const oh = outSize(c.h, c.k, c.s, c.pad);
    const ow = outSize(c.w, c.k, c.s, c.pad);
    const x = randomValues(c.b * c.h * c.w * c.ci, 1);
    const dy = randomValues(c.b * oh * ow * c.co, 2);
    const run = (): tf.Tensor =>
      tf.engine().runKernel(
        'Conv2DBackpropFilter',
        { x: tf.tensor4d(x, [c.b, c.h, c.w, c.ci]), dy: tf.tensor4d(dy, [c.b, oh, ow, c.co]) },
        { strides: c.s, pad: c.pad, dataFormat: 'NHWC', filterShape: [c.k, c.k, c.ci, c.co] },
      ) as tf.Tensor;
    const want = valuesOn('cpu', run);
    const got = valuesOn('wasm', run);
    expect(got.length).toBe(c.k * c.k * c.ci * c.co);
    expect(relativeError(got, want)).toBeLessThan(TOL);
  });

  it.each([...CASES, ...INPUT_ONLY])('Conv2DBackpropInput %o', (c) => {
    const oh = outSize(c.h, c.k, c.s, c.pad);
    const ow = outSize(c.w, c.k, c.s, c.pad);
    const f = randomValues(c.k * c.k * c.ci * c.co, 3);
    const dy = randomValues(c.b * oh * ow * c.co, 4);
    const run = (): tf.Tensor =>
      tf.conv2dTranspose(tf.tensor4d(dy, [c.b, oh, ow, c.co]), tf.tensor4d(f, [c.k, c.k, c.ci, c.co]), [c.b, c.h, c.w, c.ci], c.s, c.pad);
    const want = valuesOn('cpu', run);
    const got = valuesOn('wasm', run);
    expect(got.length).toBe(c.b * c.h * c.w * c.ci);
    expect(relativeError(got, want)).toBeLessThan(TOL);
  });

  it('gives the same conv2d gradients as cpu through tf.grads', () => {
    const x = randomValues(2 * 9 * 9 * 3, 5);
    const f = randomValues(3 * 3 * 3 * 4, 6);
    const run = (): tf.Tensor => {
      const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))))([
        tf.tensor4d(x, [2, 9, 9, 3]),
        tf.tensor4d(f, [3, 3, 3, 4]),
      ]);
      return tf.concat([tf.reshape(dx as tf.Tensor, [-1]), tf.reshape(df as tf.Tensor, [-1])]);
    };
    expect(relativeError(valuesOn('wasm', run), valuesOn('cpu', run))).toBeLessThan(TOL);
  });
});
