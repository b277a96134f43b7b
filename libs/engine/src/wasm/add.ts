import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { simdOrFallback } from './simd-or-fallback';
import type { WasmBackendLike } from './wasm-memory';
import { delegateToStock, heapOffset } from './wasm-memory';

/**
 * Add of a bias row ([…, C] + [C] or [1, …, 1, C] of no higher rank, float32, C a multiple of 4) by
 * our SIMD kernel: TF.js unfuses conv + bias + ReLU while recording gradients, and the stock
 * broadcasting Add took ~1.8 ms on conv1's output per step; tf.layers adds its separable and
 * depthwise conv biases as [1, 1, 1, C]. Every other Add goes to the stock kernel.
 */
export function add(args: { inputs: { a: TensorInfo; b: TensorInfo }; backend: WasmBackendLike; attrs: Record<string, never> }): TensorInfo {
  const { a, b } = args.inputs;
  const backend = args.backend;
  const rowFirst = isRowPlusBias(a, b);
  const big = rowFirst ? a : b;
  const bias = rowFirst ? b : a;
  if (!rowFirst && !isRowPlusBias(b, a)) return delegateToStock('Add', args);
  const simd = simdOrFallback(backend, 'Add', 'wasm SIMD unavailable: bias row by the stock broadcasting Add');
  if (!simd) return delegateToStock('Add', args);
  const inner = bias.shape[bias.shape.length - 1] as number;
  const out = backend.makeOutput([...big.shape], 'float32');
  simd.addrow(heapOffset(backend, big), heapOffset(backend, bias), heapOffset(backend, out), sizeOf(big) / inner, inner);
  return out;
}

const sizeOf = (t: TensorInfo): number => t.shape.reduce((p, q) => p * q, 1);

function isRowPlusBias(x: TensorInfo, bias: TensorInfo): boolean {
  const rank = bias.shape.length;
  const c = bias.shape[rank - 1];
  const row = rank >= 1 && rank <= x.shape.length && bias.shape.every((d, i) => i === rank - 1 || d === 1);
  return x.dtype === 'float32' && bias.dtype === 'float32' && row && x.shape.length >= 2 && c !== undefined && c > 0 && c % 4 === 0 && x.shape[x.shape.length - 1] === c;
}

export const addConfig: KernelConfig = {
  kernelName: 'Add',
  backendName: 'wasm',
  kernelFunc: add as unknown as KernelFunc,
};
