import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initWasmAndCpu, randomValues, relativeError, valuesOn, KERNEL_TOLERANCE } from '../testing';
import { hwio, rotatedSwapped } from './winograd-filter';
import { winogradConv2d } from './winograd-conv2d';
import type { WasmBackendLike } from './wasm-memory';

const TOL = KERNEL_TOLERANCE;

interface Case {
  b: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  pad: 'valid' | 'same';
}

const CASES: Case[] = [
  { b: 64, h: 13, w: 13, ci: 32, co: 64, pad: 'valid' }, // conv2 of the model of record: 11×11 → ragged 6×6 tiles
  { b: 1, h: 13, w: 13, ci: 32, co: 64, pad: 'valid' }, // batch 1
  { b: 2, h: 12, w: 10, ci: 16, co: 12, pad: 'valid' }, // even output: no ragged tile
  { b: 3, h: 9, w: 7, ci: 16, co: 8, pad: 'same' }, // padding read as zeros, odd sizes
  { b: 2, h: 3, w: 4, ci: 16, co: 4, pad: 'valid' }, // 1×2 output: one tile, ragged row
  { b: 2, h: 1, w: 1, ci: 16, co: 4, pad: 'same' }, // 1×1 image, all padding
  { b: 2, h: 6, w: 5, ci: 18, co: 6, pad: 'same' }, // channels not a multiple of 4: stock on SIMD
  { b: 5, h: 7, w: 7, ci: 16, co: 8, pad: 'valid' }, // 45 tiles: gemm.wat's alignment rows
];

const outSize = (n: number, pad: 'valid' | 'same'): number => (pad === 'same' ? n : n - 2);

describe('Winograd F(2×2, 3×3) kernels vs cpu', () => {
  beforeAll(initWasmAndCpu);

  it.each(CASES)('Conv2D %o', (c) => {
    const x = randomValues(c.b * c.h * c.w * c.ci, 1);
    const f = randomValues(9 * c.ci * c.co, 2);
    const run = (): tf.Tensor => tf.conv2d(tf.tensor4d(x, [c.b, c.h, c.w, c.ci]), tf.tensor4d(f, [3, 3, c.ci, c.co]), 1, c.pad);
    expect(relativeError(valuesOn('wasm', run), valuesOn('cpu', run))).toBeLessThan(TOL);
  });

  it.each(CASES)('FusedConv2D with bias and ReLU %o', (c) => {
    const x = randomValues(c.b * c.h * c.w * c.ci, 3);
    const f = randomValues(9 * c.ci * c.co, 4);
    const bias = randomValues(c.co, 5);
    const run = (): tf.Tensor =>
      tf.fused.conv2d({
        x: tf.tensor4d(x, [c.b, c.h, c.w, c.ci]),
        filter: tf.tensor4d(f, [3, 3, c.ci, c.co]),
        strides: 1,
        pad: c.pad,
        bias: tf.tensor1d(bias),
        activation: 'relu',
      });
    const got = valuesOn('wasm', run);
    expect(relativeError(got, valuesOn('cpu', run))).toBeLessThan(TOL);
    expect(got.some((v) => v === 0)).toBe(true);
  });

  it('FusedConv2D linear without bias, and with an activation it does not fuse (elu: stock)', () => {
    const x = randomValues(2 * 7 * 7 * 16, 6);
    const f = randomValues(9 * 16 * 8, 7);
    for (const activation of ['linear', 'elu'] as const) {
      const run = (): tf.Tensor => tf.fused.conv2d({ x: tf.tensor4d(x, [2, 7, 7, 16]), filter: tf.tensor4d(f, [3, 3, 16, 8]), strides: 1, pad: 'same', activation });
      expect(relativeError(valuesOn('wasm', run), valuesOn('cpu', run))).toBeLessThan(TOL);
    }
  });

  it.each([
    { chunkTiles: 20, ownGemm: true }, // passes of 18, 18, 9 tiles: the last pass's alignment rows hold the previous pass's tiles
    { chunkTiles: 20, ownGemm: false },
  ])('SIMD transforms, several passes with ragged tile counts %o', (opts) => {
    const x = randomValues(5 * 7 * 7 * 16, 11);
    const f = randomValues(9 * 16 * 8, 12);
    const geo = { B: 5, H: 7, W: 7, C: 16, OH: 5, OW: 5, CO: 8, padT: 0, padL: 0 };
    const viaSimd = (): tf.Tensor => {
      const backend = tf.backend() as unknown as WasmBackendLike;
      const y = winogradConv2d(backend, tf.tensor4d(x, [5, 7, 7, 16]), tf.tensor4d(f, [3, 3, 16, 8]), hwio(16, 8), geo, { lo: -Infinity }, opts);
      if (!y) throw new Error('no heap GEMM');
      return tf.engine().makeTensorFromTensorInfo(y);
    };
    const ref = (): tf.Tensor => tf.conv2d(tf.tensor4d(x, [5, 7, 7, 16]), tf.tensor4d(f, [3, 3, 16, 8]), 1, 'valid');
    expect(relativeError(valuesOn('wasm', viaSimd), valuesOn('cpu', ref))).toBeLessThan(TOL);
  });

  it.each(CASES)('JS tile transforms (no SIMD), forward and rotated filter %o', (c) => {
    const oh = outSize(c.h, c.pad);
    const ow = outSize(c.w, c.pad);
    const x = randomValues(c.b * c.h * c.w * c.ci, 8);
    const f = randomValues(9 * c.ci * c.co, 9);
    const top = c.pad === 'same' ? 1 : 0;
    const geo = { B: c.b, H: c.h, W: c.w, C: c.ci, OH: oh, OW: ow, CO: c.co, padT: top, padL: top };
    const viaJs = (): tf.Tensor => {
      const backend = tf.backend() as unknown as WasmBackendLike;
      const y = winogradConv2d(backend, tf.tensor4d(x, [c.b, c.h, c.w, c.ci]), tf.tensor4d(f, [3, 3, c.ci, c.co]), hwio(c.ci, c.co), geo, { lo: -Infinity }, { simd: false, chunkTiles: 1 });
      if (!y) throw new Error('no heap GEMM');
      return tf.engine().makeTensorFromTensorInfo(y);
    };
    const ref = (): tf.Tensor => tf.conv2d(tf.tensor4d(x, [c.b, c.h, c.w, c.ci]), tf.tensor4d(f, [3, 3, c.ci, c.co]), 1, c.pad);
    expect(relativeError(valuesOn('wasm', viaJs), valuesOn('cpu', ref))).toBeLessThan(TOL);
    // the input gradient's filter: dx = conv(dy padded by 2 − top, rot180(f) with in/out swapped)
    const dy = randomValues(c.b * oh * ow * c.co, 10);
    const bgeo = { B: c.b, H: oh, W: ow, C: c.co, OH: c.h, OW: c.w, CO: c.ci, padT: 2 - top, padL: 2 - top };
    const dxJs = (): tf.Tensor => {
      const backend = tf.backend() as unknown as WasmBackendLike;
      const y = winogradConv2d(backend, tf.tensor4d(dy, [c.b, oh, ow, c.co]), tf.tensor4d(f, [3, 3, c.ci, c.co]), rotatedSwapped(c.ci, c.co), bgeo, { lo: -Infinity }, { simd: false });
      if (!y) throw new Error('no heap GEMM');
      return tf.engine().makeTensorFromTensorInfo(y);
    };
    const dxRef = (): tf.Tensor => tf.conv2dTranspose(tf.tensor4d(dy, [c.b, oh, ow, c.co]), tf.tensor4d(f, [3, 3, c.ci, c.co]), [c.b, c.h, c.w, c.ci], 1, c.pad);
    expect(relativeError(valuesOn('wasm', dxJs), valuesOn('cpu', dxRef))).toBeLessThan(TOL);
  });
});
