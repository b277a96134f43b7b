import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { WasmBackendLike } from './wasm-memory';
import { callWasmKernel, freeAll, heapOffset, heapView, originalKernels } from './wasm-memory';
import { simdKernels } from './simd/simd-kernels';

interface Attrs {
  transposeA: boolean;
  transposeB: boolean;
}

/** Swaps the last two axes: 4×4 SIMD blocks when both are multiples of 4, else a JS loop. */
function transposeLast2(backend: WasmBackendLike, a: TensorInfo): TensorInfo {
  const rank = a.shape.length;
  const rows = a.shape[rank - 2] as number;
  const cols = a.shape[rank - 1] as number;
  const batch = a.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  const at = backend.makeOutput([...a.shape.slice(0, -2), cols, rows], 'float32');
  const simd = rows % 4 === 0 && cols % 4 === 0 ? simdKernels(backend.wasm.asm?.memory) : undefined;
  if (simd) {
    simd.transpose(heapOffset(backend, a), heapOffset(backend, at), batch, rows, cols, rows * cols, cols, rows * cols, rows);
    return at;
  }
  const src = heapView(backend, a);
  const dst = heapView(backend, at);
  for (let n = 0; n < batch; n++) {
    const base = n * rows * cols;
    for (let r = 0; r < rows; r++) {
      const srow = base + r * cols;
      for (let c = 0; c < cols; c++) dst[base + c * rows + r] = src[srow + c] as number;
    }
  }
  return at;
}

/**
 * The stock wasm BatchMatMul is fast (XNNPACK) only without transposes; transposeA (dense weight
 * gradient xᵀ·dy) and transposeB (dense input gradient dy·Wᵀ) run a scalar loop ~10× slower. A JS
 * transpose of the operand costs far less, so we transpose and hand the plain product to the stock kernel.
 */
export function batchMatMul(args: { inputs: { a: TensorInfo; b: TensorInfo }; backend: WasmBackendLike; attrs: Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  if (!attrs.transposeA && !attrs.transposeB) {
    const stock = originalKernels.get('BatchMatMul');
    if (!stock) throw new Error('stock wasm BatchMatMul is not registered');
    return stock.kernelFunc(args as never) as TensorInfo;
  }
  const a = attrs.transposeA ? transposeLast2(backend, inputs.a) : inputs.a;
  const b = attrs.transposeB ? transposeLast2(backend, inputs.b) : inputs.b;
  const out = callWasmKernel(backend, 'BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
  if (a !== inputs.a) freeAll(backend, a);
  if (b !== inputs.b) freeAll(backend, b);
  return out;
}

export const batchMatMulConfig: KernelConfig = {
  kernelName: 'BatchMatMul',
  backendName: 'wasm',
  kernelFunc: batchMatMul as unknown as KernelFunc,
};
