import type { backend_util, TensorInfo } from '@tensorflow/tfjs';
import type { WasmBackendLike } from './wasm-memory';
import { callWasmKernel, freeAll, heapOffset, heapView } from './wasm-memory';
import { simdOrFallback } from './simd-or-fallback';

/**
 * dW as a forward XNNPACK convolution: batch ↔ channels swapped in x ([C, H, W, B]), dy as the
 * filter ([OH, OW, B, CO]) dilated by the stride; the [C, KH, KW, CO] result is permuted to HWIO.
 */
export function viaForwardConv(
  backend: WasmBackendLike,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
  PB: number,
  PR: number,
): TensorInfo {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const xt = backend.makeOutput([C, H, W, B], 'float32');
  const dyt = backend.makeOutput([OH, OW, B, CO], 'float32');
  const HW = H * W;
  const simd = B % 4 === 0 && C % 4 === 0 ? simdOrFallback(backend, 'Conv2DBackpropFilter', 'wasm SIMD unavailable: JS batch↔channel transpose') : undefined;
  if (simd) {
    // Per pixel p, the [B, C] slice x[:, p, :] becomes xt[:, p, :] as [C, B].
    simd.transpose(heapOffset(backend, x), heapOffset(backend, xt), HW, B, C, C, HW * C, B, HW * B);
  } else {
    const xs = heapView(backend, x);
    const xts = heapView(backend, xt);
    for (let b = 0; b < B; b++) {
      for (let p = 0; p < HW; p++) {
        const src = (b * HW + p) * C;
        let dst = p * B + b;
        for (let c = 0; c < C; c++, dst += HW * B) xts[dst] = xs[src + c] as number;
      }
    }
  }
  const heap = backend.wasm.HEAPF32;
  const dyOff = backend.dataIdMap.get(dy.dataId).memoryOffset >> 2;
  const dytOff = backend.dataIdMap.get(dyt.dataId).memoryOffset >> 2;
  const OHW = OH * OW;
  for (let b = 0; b < B; b++) {
    for (let p = 0; p < OHW; p++) {
      const src = dyOff + (b * OHW + p) * CO;
      heap.copyWithin(dytOff + (p * B + b) * CO, src, src + CO);
    }
  }
  const conv = callWasmKernel(
    backend,
    'Conv2D',
    { x: xt, filter: dyt },
    { strides: [1, 1], pad: [[0, 0], [info.padInfo.top, PB], [info.padInfo.left, PR], [0, 0]], dataFormat: 'NHWC', dilations: [SH, SW] },
  );
  const dw = backend.makeOutput([KH, KW, C, CO], 'float32');
  const cs = heapView(backend, conv);
  const ws = heapView(backend, dw);
  const KHW = KH * KW;
  for (let c = 0; c < C; c++) {
    for (let k = 0; k < KHW; k++) {
      const src = (c * KHW + k) * CO;
      const dst = (k * C + c) * CO;
      for (let o = 0; o < CO; o++) ws[dst + o] = cs[src + o] as number;
    }
  }
  freeAll(backend, xt, dyt, conv);
  return dw;
}

