import type { TensorInfo } from '@tensorflow/tfjs';
import type { Conv2DAttrs } from './conv2d-info';
import { forwardConvInfo, isUnitStride } from './conv2d-info';
import { simdOrFallback } from './simd-or-fallback';
import type { WasmBackendLike } from './wasm-memory';
import { heapOffset } from './wasm-memory';

/**
 * A stride-1, undilated, unpadded conv of a single-channel NHWC input with output channels a
 * multiple of 8 (conv1 of the model of record) by our SIMD kernel (simd/conv-one-channel.wat).
 * Undefined for any other configuration or without wasm SIMD: the caller runs the stock kernel.
 */
export function viaOneChannel(backend: WasmBackendLike, x: TensorInfo, filter: TensorInfo, attrs: Conv2DAttrs): TensorInfo | undefined {
  const info = forwardConvInfo(x, filter, attrs);
  if (!info) return undefined;
  const { padInfo: pad } = info;
  const unpadded = pad.top === 0 && pad.left === 0 && pad.bottom === 0 && pad.right === 0;
  if (info.dataFormat !== 'channelsLast' || info.inChannels !== 1 || info.outChannels % 8 !== 0 || !isUnitStride(info) || !unpadded) return undefined;
  if (info.outHeight <= 0 || info.outWidth <= 0 || info.batchSize <= 0) return undefined;
  const simd = simdOrFallback(backend, 'Conv2D', 'wasm SIMD unavailable: single-channel conv by the stock kernel');
  if (!simd) return undefined;
  const y = backend.makeOutput([info.batchSize, info.outHeight, info.outWidth, info.outChannels], 'float32');
  simd.conv1ch(
    heapOffset(backend, x),
    heapOffset(backend, filter),
    heapOffset(backend, y),
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
  );
  return y;
}
