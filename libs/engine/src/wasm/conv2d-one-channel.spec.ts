import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initWasmAndCpu, randomValues, relativeError, valuesOn, KERNEL_TOLERANCE } from '../testing';
import { SIMD_BYTES } from './simd/simd-bytes';
import type { WasmBackendLike } from './wasm-memory';
import { freeAll, heapOffset, heapView } from './wasm-memory';

const TOL = KERNEL_TOLERANCE;

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

/** A module of simd-bytes.ts on its own: simdKernels hands out the *-fma.wat versions where relaxed SIMD compiles. */
function plainModule(name: string): Record<string, (...args: number[]) => void> {
  const backend = tf.backend() as unknown as WasmBackendLike;
  const wasm = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object; Instance: new (m: object, i: object) => { exports: Record<string, (...args: number[]) => void> } } }).WebAssembly;
  return new wasm.Instance(new wasm.Module(Buffer.from(SIMD_BYTES[name] ?? '', 'base64')), { env: { memory: backend.wasm.asm?.memory } }).exports;
}

describe('the plain-SIMD single-channel kernels (no relaxed SIMD) vs cpu', () => {
  beforeAll(initWasmAndCpu);

  it('conv-one-channel.wat and filter-grad-one-channel.wat on conv1 of the model of record (batch 4)', () => {
    const [B, H, W, OH, OW, CO] = [4, 28, 28, 26, 26, 32];
    const x = randomValues(B * H * W, 31);
    const f = randomValues(9 * CO, 32);
    const dy = randomValues(B * OH * OW * CO, 33);
    tf.setBackend('wasm');
    const backend = tf.backend() as unknown as WasmBackendLike;
    const [xt, ft, dyt] = [tf.tensor1d(x), tf.tensor1d(f), tf.tensor1d(dy)];
    const y = backend.makeOutput([B * OH * OW * CO], 'float32');
    const dw = backend.makeOutput([9 * CO], 'float32');
    heapView(backend, dw).fill(0);
    const [xo, fo, dyo, yo, dwo] = [xt, ft, dyt, y, dw].map((t) => heapOffset(backend, t)) as [number, number, number, number, number];
    plainModule('conv-one-channel').conv1ch?.(xo, fo, yo, B, H, W, OH, OW, CO, 3, 3);
    plainModule('filter-grad-one-channel').filtergrad1ch?.(xo, dyo, dwo, B, H, W, OH, OW, CO, 3);
    const gotY = Float32Array.from(heapView(backend, y));
    const gotW = Float32Array.from(heapView(backend, dw));
    freeAll(backend, y, dw);
    tf.dispose([xt, ft, dyt]);
    const wantY = valuesOn('cpu', () => tf.conv2d(tf.tensor4d(x, [B, H, W, 1]), tf.tensor4d(f, [3, 3, 1, CO]), 1, 'valid'));
    const wantW = valuesOn('cpu', () => tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor4d(x, [B, H, W, 1]), dy: tf.tensor4d(dy, [B, OH, OW, CO]) }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [3, 3, 1, CO] }) as tf.Tensor);
    expect(relativeError(gotY, wantY)).toBeLessThan(TOL);
    expect(relativeError(gotW, wantW)).toBeLessThan(TOL);
  });
});
