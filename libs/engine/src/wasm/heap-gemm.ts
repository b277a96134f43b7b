import type { TensorInfo } from '@tensorflow/tfjs';
import type { WasmBackendLike } from './wasm-memory';
import { dropView, makeView } from './wasm-memory';

/** Many products [M×K]·[K×N] on operands that lie in the wasm heap, written in place. */
export interface HeapGemm {
  /** out = a · b; byte offsets into the heap; `b` keeps its packed XNNPACK operator until `dispose`. */
  run(a: number, m: number, b: number, out: number): void;
  dispose(): void;
}

/** The stock C entry point's argument list (tfjs-backend-wasm 4.22, kernels/BatchMatMul.js). */
const BATCH_MAT_MUL_ARGS = ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number'];

const binders = new WeakMap<object, (...args: unknown[]) => void>();

const shapeBytes = (shape: number[]): Uint8Array => new Uint8Array(new Int32Array(shape).buffer);

/**
 * XNNPACK's GEMM through the stock BatchMatMul C export, on views of our buffers. The kernelFunc
 * would allocate every output separately, and its fast path takes batch 1 only (a batched call runs a
 * scalar loop), so we call the export once per matrix and write straight into our layout. XNNPACK
 * caches the packed `b` per tensor id, so a `b` used for several `a` is packed once.
 * Undefined when the backend does not expose cwrap (another build): callers use the stock conv.
 */
export function heapGemm(backend: WasmBackendLike, k: number, n: number): HeapGemm | undefined {
  const cwrap = backend.wasm.cwrap;
  if (!cwrap || !backend.wasm.tfjs) return undefined;
  let call = binders.get(backend.wasm);
  if (!call) {
    call = cwrap('BatchMatMul', null, BATCH_MAT_MUL_ARGS);
    binders.set(backend.wasm, call);
  }
  const matmul = call;
  const bShape = [1, k, n];
  const bBytes = shapeBytes(bShape);
  const weights = new Map<number, TensorInfo>();
  const id = (t: TensorInfo): number => backend.dataIdMap.get(t.dataId).id;
  return {
    run(a, m, b, out) {
      let bv = weights.get(b);
      if (!bv) {
        bv = makeView(backend, b, bShape);
        weights.set(b, bv);
      }
      const av = makeView(backend, a, [1, m, k]);
      const ov = makeView(backend, out, [1, m, n]);
      matmul(id(av), shapeBytes([1, m, k]), 3, id(bv), bBytes, 3, 0, 0, id(ov));
      dropView(backend, av);
      dropView(backend, ov);
    },
    dispose() {
      for (const bv of weights.values()) dropView(backend, bv);
      weights.clear();
    },
  };
}
