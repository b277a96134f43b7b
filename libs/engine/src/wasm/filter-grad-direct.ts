import type { backend_util, TensorInfo } from '@tensorflow/tfjs';
import type { SimdKernels } from './simd/simd-kernels';
import type { WasmBackendLike } from './wasm-memory';
import { heapOffset, heapView } from './wasm-memory';

/**
 * dW by our SIMD kernels straight from x and dy in the heap: no im2col, no transpose, no packing.
 * One input channel with 3-wide filter rows at stride 1 (conv1) by the register-tiled
 * filter-grad-one-channel.wat; every other 'valid' case by filter-grad.wat.
 */
export function viaDirectSimd(backend: WasmBackendLike, simd: SimdKernels, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const dw = backend.makeOutput([KH, KW, C, CO], 'float32');
  heapView(backend, dw).fill(0);
  const [xOff, dyOff, dwOff] = [x, dy, dw].map((t) => heapOffset(backend, t)) as [number, number, number];
  if (C === 1 && KW === 3 && SH === 1 && SW === 1 && CO % 8 === 0 && OW > 0) simd.filtergrad1ch(xOff, dyOff, dwOff, B, H, W, OH, OW, CO, KH);
  else simd.filtergrad(xOff, dyOff, dwOff, B, H, W, C, OH, OW, CO, KH, KW, SH, SW);
  return dw;
}
