import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initWasmAndCpu, randomValues, relativeError, valuesOn } from '../../testing';
import type { WasmBackendLike } from '../wasm-memory';
import { freeAll, heapOffset, heapView } from '../wasm-memory';
import type { SimdKernels } from './simd-kernels';
import { simdKernels } from './simd-kernels';
import { SIMD_BYTES } from './simd-bytes';

type Gemm = SimdKernels['gemm'];

/** gemm.wat on its own (simdKernels hands out gemm-fma.wat where relaxed SIMD compiles). */
function plainGemm(backend: WasmBackendLike): Gemm {
  const wasm = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object; Instance: new (m: object, i: object) => { exports: { gemm: Gemm } } } }).WebAssembly;
  const bytes = Buffer.from(SIMD_BYTES['gemm'] ?? '', 'base64');
  return new wasm.Instance(new wasm.Module(bytes), { env: { memory: backend.wasm.asm?.memory } }).exports.gemm;
}

function gemms(): [string, Gemm][] {
  const backend = tf.backend() as unknown as WasmBackendLike;
  const simd = simdKernels(backend.wasm.asm?.memory);
  if (!simd) throw new Error('no SIMD kernels');
  return [['gemm.wat', plainGemm(backend)], [simd.fma ? 'gemm-fma.wat' : 'gemm.wat again', simd.gemm]];
}

const TOL = 1e-4;

/** Runs `gemm` on heap copies of a and b; C lies in a wider buffer (ldc = n + 4) filled with 7s beforehand. */
function runGemm(gemm: Gemm, av: Float32Array, bv: Float32Array, call: (gemm: Gemm, a: number, b: number, c: number, ldc: number) => void, m: number, n: number): { got: Float32Array; untouched: boolean } {
  const backend = tf.backend() as unknown as WasmBackendLike;
  const a = tf.tensor1d(av);
  const b = tf.tensor1d(bv);
  const out = backend.makeOutput([m, n + 4], 'float32');
  heapView(backend, out).fill(7);
  const [ao, bo, oo] = [a, b, out].map((t) => heapOffset(backend, t)) as [number, number, number];
  call(gemm, ao, bo, oo, n + 4);
  const all = heapView(backend, out);
  const got = new Float32Array(m * n);
  let untouched = true;
  for (let i = 0; i < m; i++) {
    got.set(all.subarray(i * (n + 4), i * (n + 4) + n), i * n);
    untouched &&= all.subarray(i * (n + 4) + n, (i + 1) * (n + 4)).every((v) => v === 7);
  }
  freeAll(backend, out);
  a.dispose();
  b.dispose();
  return { got, untouched };
}

describe('simd/gemm.wat and gemm-fma.wat vs cpu matMul', () => {
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
    for (const [name, gemm] of gemms()) {
      const [sam, sak] = c.transA ? [1, c.m] : [c.k, 1];
      const { got, untouched } = runGemm(gemm, av, bv, (g, a, b, o, ldc) => g(a, sam, sak, b, c.n, o, ldc, c.m, c.k, c.n, c.kc, 0), c.m, c.n);
      expect(untouched, name).toBe(true);
      expect(relativeError(got, want), name).toBeLessThan(TOL);
    }
  });

  it('uses the FMA GEMM where relaxed SIMD compiles (Node 20 with the flag we set, Node 22 by default)', () => {
    const backend = tf.backend() as unknown as WasmBackendLike;
    expect(simdKernels(backend.wasm.asm?.memory)?.fma).toBe(true);
  });

  it('DTRAIN_WASM_FMA=0 keeps the plain SIMD modules (a fresh memory, as a new process would have)', () => {
    const memory = new (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => object } }).WebAssembly.Memory({ initial: 1 });
    const before = process.env['DTRAIN_WASM_FMA'];
    process.env['DTRAIN_WASM_FMA'] = '0';
    try {
      expect(simdKernels(memory)?.fma).toBe(false);
    } finally {
      if (before === undefined) delete process.env['DTRAIN_WASM_FMA'];
      else process.env['DTRAIN_WASM_FMA'] = before;
    }
  });

  it('adds into C with acc = 1: A·B over K split in two calls equals one call', () => {
    const [m, k, n] = [8, 50, 16];
    const av = randomValues(m * k, 3);
    const bv = randomValues(k * n, 4);
    const want = valuesOn('cpu', () => tf.matMul(tf.tensor2d(av, [m, k]), tf.tensor2d(bv, [k, n])));
    for (const [name, gemm] of gemms()) {
      // first 20 columns of A with the first 20 rows of B, then the other 30 added
      const { got } = runGemm(gemm, av, bv, (g, a, b, o, ldc) => {
        g(a, k, 1, b, n, o, ldc, m, 20, n, 128, 0);
        g(a + 4 * 20, k, 1, b + 4 * 20 * n, n, o, ldc, m, 30, n, 128, 1);
      }, m, n);
      expect(relativeError(got, want), name).toBeLessThan(TOL);
    }
  });
});
