import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initWasmAndCpu, randomValues, relativeError, valuesOn } from '../../testing';
import type { WasmBackendLike } from '../wasm-memory';
import { freeAll, heapOffset, heapView } from '../wasm-memory';
import { simdKernels } from './simd-kernels';

const TOL = 1e-4;

describe('simd/gemm.wat vs cpu matMul', () => {
  beforeAll(initWasmAndCpu);

  it.each([
    { m: 64, k: 2304, n: 32, kc: 128, transA: false }, // conv2's Winograd filter gradient, one of 16
    { m: 8, k: 300, n: 16, kc: 128, transA: false }, // K not a multiple of the chunk
    { m: 4, k: 1, n: 8, kc: 128, transA: false }, // one row of K
    { m: 12, k: 37, n: 24, kc: 5, transA: true }, // A stored [K × M]
    { m: 128, k: 64, n: 8, kc: 64, transA: true },
  ])('%o', (c) => {
    const av = randomValues(c.m * c.k, 1);
    const bv = randomValues(c.k * c.n, 2);
    const want = valuesOn('cpu', () => tf.matMul(tf.tensor2d(av, c.transA ? [c.k, c.m] : [c.m, c.k]), tf.tensor2d(bv, [c.k, c.n]), c.transA));
    const backend = tf.backend() as unknown as WasmBackendLike;
    const simd = simdKernels(backend.wasm.asm?.memory);
    expect(simd).toBeDefined();
    const a = tf.tensor1d(av);
    const b = tf.tensor1d(bv);
    // C inside a wider buffer: ldc > N must leave the other columns alone
    const out = backend.makeOutput([c.m, c.n + 4], 'float32');
    heapView(backend, out).fill(7);
    const [ao, bo, oo] = [a, b, out].map((t) => heapOffset(backend, t)) as [number, number, number];
    simd?.gemm(ao, c.transA ? 1 : c.k, c.transA ? c.m : 1, bo, c.n, oo, c.n + 4, c.m, c.k, c.n, c.kc, 0);
    const all = heapView(backend, out);
    const got = new Float32Array(c.m * c.n);
    let untouched = true;
    for (let i = 0; i < c.m; i++) {
      got.set(all.subarray(i * (c.n + 4), i * (c.n + 4) + c.n), i * c.n);
      untouched &&= all.subarray(i * (c.n + 4) + c.n, (i + 1) * (c.n + 4)).every((v) => v === 7);
    }
    freeAll(backend, out);
    a.dispose();
    b.dispose();
    expect(untouched).toBe(true);
    expect(relativeError(got, want)).toBeLessThan(TOL);
  });

  it('adds into C with acc = 1: A·B over K split in two calls equals one call', () => {
    const [m, k, n] = [8, 50, 16];
    const av = randomValues(m * k, 3);
    const bv = randomValues(k * n, 4);
    const want = valuesOn('cpu', () => tf.matMul(tf.tensor2d(av, [m, k]), tf.tensor2d(bv, [k, n])));
    const backend = tf.backend() as unknown as WasmBackendLike;
    const simd = simdKernels(backend.wasm.asm?.memory);
    const a = tf.tensor1d(av);
    const b = tf.tensor1d(bv);
    const out = backend.makeOutput([m, n], 'float32');
    heapView(backend, out).fill(7);
    const [ao, bo, oo] = [a, b, out].map((t) => heapOffset(backend, t)) as [number, number, number];
    // first 20 columns of A with the first 20 rows of B, then the other 30 added
    simd?.gemm(ao, k, 1, bo, n, oo, n, m, 20, n, 128, 0);
    simd?.gemm(ao + 4 * 20, k, 1, bo + 4 * 20 * n, n, oo, n, m, 30, n, 128, 1);
    const got = Float32Array.from(heapView(backend, out));
    freeAll(backend, out);
    a.dispose();
    b.dispose();
    expect(relativeError(got, want)).toBeLessThan(TOL);
  });
});
