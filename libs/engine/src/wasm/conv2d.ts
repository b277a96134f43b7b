import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { Conv2DAttrs } from './conv2d-info';
import { forwardConvInfo, isUnitStride } from './conv2d-info';
import { hwio } from './winograd-filter';
import type { WinogradGeometry } from './winograd-conv2d';
import { winogradConv2d } from './winograd-conv2d';
import { viaOneChannel } from './conv2d-one-channel';
import type { WasmBackendLike } from './wasm-memory';
import { delegateToStock } from './wasm-memory';


/**
 * Fewest input channels for which Winograd beats XNNPACK's direct conv: below it the transforms
 * cost more than the multiplies they save (measured forward, batch 64, 11×11 out, CO = 32:
 * C = 8 1.64 vs 1.37 ms stock, C = 16 2.17 vs 2.51 ms; conv1 of the model of record, C = 1, stays stock).
 */
export const WINOGRAD_MIN_CHANNELS = 16;

/** The Winograd geometry of a forward conv, or undefined when it is not a stride-1, undilated 3×3 NHWC conv with enough channels. */
export function forwardWinogradGeometry(x: TensorInfo, filter: TensorInfo, attrs: Conv2DAttrs): WinogradGeometry | undefined {
  const info = forwardConvInfo(x, filter, attrs);
  if (!info) return undefined;
  const square3 = info.filterHeight === 3 && info.filterWidth === 3;
  if (info.dataFormat !== 'channelsLast' || !square3 || !isUnitStride(info) || info.inChannels < WINOGRAD_MIN_CHANNELS) return undefined;
  if (info.outHeight <= 0 || info.outWidth <= 0) return undefined;
  return {
    B: info.batchSize,
    H: info.inHeight,
    W: info.inWidth,
    C: info.inChannels,
    OH: info.outHeight,
    OW: info.outWidth,
    CO: info.outChannels,
    padT: info.padInfo.top,
    padL: info.padInfo.left,
  };
}

/**
 * Conv2D by Winograd F(2×2, 3×3) where it pays (conv2 of the model of record: 75 M multiply-adds
 * instead of 143 M); single-channel inputs (conv1) by our direct SIMD kernel (conv2d-one-channel.ts,
 * 1.75 → 1.03 ms at batch 64); the stock XNNPACK kernel for everything else. Training reaches this kernel,
 * not FusedConv2D: TF.js unfuses conv + bias + ReLU while it records gradients.
 */
export function conv2d(args: { inputs: { x: TensorInfo; filter: TensorInfo }; backend: WasmBackendLike; attrs: Conv2DAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const geo = forwardWinogradGeometry(inputs.x, inputs.filter, attrs);
  const out = geo ? winogradConv2d(backend, inputs.x, inputs.filter, hwio(geo.C, geo.CO), geo, { lo: -Infinity }, { kernel: 'Conv2D' }) : viaOneChannel(backend, inputs.x, inputs.filter, attrs);
  if (out) return out;
  return delegateToStock('Conv2D', args);
}

export const conv2DConfig: KernelConfig = {
  kernelName: 'Conv2D',
  backendName: 'wasm',
  kernelFunc: conv2d as unknown as KernelFunc,
};
