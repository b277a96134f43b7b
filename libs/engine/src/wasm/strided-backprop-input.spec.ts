import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initWasmAndCpu, randomValues, relativeError, valuesOn, KERNEL_TOLERANCE } from '../testing';
import { stridedBackpropInput } from './strided-backprop-input';
import type { WasmBackendLike } from './wasm-memory';

// The sub-pixel form of a strided conv's input gradient, called directly (so the cases below are
// known to take it, not the dilated path), against the cpu backend's input gradient of tf.conv2d.
const CASES = [
  { b: 2, h: 14, w: 14, ci: 64, co: 32, k: 3, s: [2, 2], pad: 'same' }, // a ResNet downsampling conv
  { b: 3, h: 9, w: 11, ci: 3, co: 5, k: 3, s: [2, 2], pad: 'same' }, // odd sizes
  { b: 1, h: 10, w: 9, ci: 4, co: 6, k: 3, s: [2, 2], pad: 'valid' }, // batch 1, valid
  { b: 2, h: 8, w: 12, ci: 2, co: 3, k: 5, s: [1, 2], pad: 'same' }, // stride [1, 2]
  { b: 2, h: 12, w: 12, ci: 3, co: 4, k: 2, s: [3, 3], pad: 'valid' }, // a phase no tap reaches: zeros
  { b: 2, h: 16, w: 16, ci: 8, co: 8, k: 1, s: [2, 2], pad: 'valid' }, // 1×1 stride 2 (a projection shortcut)
  { b: 2, h: 13, w: 13, ci: 6, co: 7, k: 4, s: [3, 2], pad: 'same' },
] as const;

describe('stridedBackpropInput (wasm) vs cpu', () => {
  beforeAll(initWasmAndCpu);

  it.each(CASES)('%o', (c) => {
    const filterShape: [number, number, number, number] = [c.k, c.k, c.ci, c.co];
    const inShape: [number, number, number, number] = [c.b, c.h, c.w, c.ci];
    const info = tf.backend_util.computeConv2DInfo(inShape, filterShape, [...c.s] as [number, number], 1, c.pad);
    const dyShape: [number, number, number, number] = [c.b, info.outHeight, info.outWidth, c.co];
    const dy = randomValues(dyShape.reduce((a, b) => a * b, 1), 3);
    const w = randomValues(filterShape.reduce((a, b) => a * b, 1), 4);
    const wT = (): tf.Tensor4D => tf.tensor4d(w, filterShape);
    const want = valuesOn('cpu', () => tf.grad((x: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, wT(), [...c.s] as [number, number], c.pad))(tf.zeros(inShape), tf.tensor4d(dy, dyShape)));
    const got = valuesOn('wasm', () => {
      const dyT = tf.tensor4d(dy, dyShape);
      const out = stridedBackpropInput(tf.backend() as unknown as WasmBackendLike, dyT, wT(), info);
      if (!out) throw new Error('the sub-pixel path declined this case');
      return tf.engine().makeTensorFromTensorInfo(out);
    });
    expect(relativeError(got, want)).toBeLessThan(KERNEL_TOLERANCE);
  });
});
