import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { Conv2DAttrs } from './conv2d-info';
import { forwardWinogradGeometry } from './conv2d';
import { hwio } from './winograd-filter';
import { winogradConv2d } from './winograd-conv2d';
import type { WasmBackendLike } from './wasm-memory';
import { delegateToStock } from './wasm-memory';

interface Attrs extends Conv2DAttrs {
  activation?: string;
  leakyreluAlpha?: number;
}

/** Lower clamp of the activations we fuse into the output transform; others go to the stock kernel. */
const CLAMP: Record<string, number> = { linear: -Infinity, relu: 0 };

/**
 * FusedConv2D (conv + [CO] bias + linear/ReLU: inference and evaluation, where TF.js keeps the op
 * fused) by Winograd F(2×2, 3×3) with the bias and ReLU applied in the output transform; the stock
 * kernel for every other configuration (prelu, other activations, other filters or strides).
 */
export function fusedConv2d(args: {
  inputs: { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
  backend: WasmBackendLike;
  attrs: Attrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const lo = CLAMP[attrs.activation ?? 'linear'];
  const { bias } = inputs;
  const geo = lo !== undefined && !inputs.preluActivationWeights ? forwardWinogradGeometry(inputs.x, inputs.filter, attrs) : undefined;
  const biasOk = !bias || (bias.dtype === 'float32' && bias.shape.length === 1 && bias.shape[0] === geo?.CO);
  const out = geo && lo !== undefined && biasOk && winogradConv2d(backend, inputs.x, inputs.filter, hwio(geo.C, geo.CO), geo, { bias, lo }, { kernel: 'FusedConv2D' });
  if (out) return out;
  return delegateToStock('FusedConv2D', args);
}

export const fusedConv2DConfig: KernelConfig = {
  kernelName: 'FusedConv2D',
  backendName: 'wasm',
  kernelFunc: fusedConv2d as unknown as KernelFunc,
};
