import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initWasmAndCpu, randomValues, relativeError, valuesOn } from '../testing';

const TOL = 1e-4;

describe('wasm Conv2D of single-channel inputs vs cpu', () => {
  beforeAll(initWasmAndCpu);

  it.each([
    { b: 64, h: 28, w: 28, kh: 3, kw: 3, co: 32, s: 1, pad: 'valid' }, // conv1 of the model of record, full batch
    { b: 1, h: 5, w: 5, kh: 3, kw: 3, co: 8, s: 1, pad: 'valid' }, // 9 pixels: a last group of one
    { b: 3, h: 7, w: 6, kh: 2, kw: 3, co: 16, s: 1, pad: 'valid' }, // non-square filter, 30 pixels over 3 images
    { b: 2, h: 3, w: 3, kh: 3, kw: 3, co: 8, s: 1, pad: 'valid' }, // one pixel per image
    { b: 2, h: 8, w: 8, kh: 3, kw: 3, co: 8, s: 1, pad: 'same' }, // padded: stock
    { b: 2, h: 9, w: 9, kh: 3, kw: 3, co: 8, s: 2, pad: 'valid' }, // strided: stock
    { b: 2, h: 6, w: 6, kh: 3, kw: 3, co: 12, s: 1, pad: 'valid' }, // CO not a multiple of 8: stock
  ] as const)('%o', (c) => {
    const x = randomValues(c.b * c.h * c.w, 21);
    const f = randomValues(c.kh * c.kw * c.co, 22);
    const run = (): tf.Tensor => tf.conv2d(tf.tensor4d(x, [c.b, c.h, c.w, 1]), tf.tensor4d(f, [c.kh, c.kw, 1, c.co]), c.s, c.pad);
    const got = valuesOn('wasm', run);
    const want = valuesOn('cpu', run);
    expect(got.length).toBe(want.length);
    expect(relativeError(got, want)).toBeLessThan(TOL);
  });
});
