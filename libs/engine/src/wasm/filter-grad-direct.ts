import type { backend_util, TensorInfo } from '@tensorflow/tfjs';
import type { SimdKernels } from './simd/simd-kernels';
import type { WasmBackendLike } from './wasm-memory';
import { heapOffset, heapView } from './wasm-memory';

/** dW by our SIMD kernel straight from x and dy in the heap: no im2col, no transpose, no packing. */
export function viaDirectSimd(backend: WasmBackendLike, simd: SimdKernels, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const dw = backend.makeOutput([KH, KW, C, CO], 'float32');
  heapView(backend, dw).fill(0);
  simd.filtergrad(heapOffset(backend, x), heapOffset(backend, dy), heapOffset(backend, dw), B, H, W, C, OH, OW, CO, KH, KW, SH, SW);
  return dw;
}
