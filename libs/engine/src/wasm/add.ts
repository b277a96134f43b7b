import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { simdKernels } from './simd/simd-kernels';
import type { WasmBackendLike } from './wasm-memory';
import { heapOffset, runStock } from './wasm-memory';

/**
 * Add of a bias row ([…, C] + [C], float32, C a multiple of 4) by our SIMD kernel: TF.js unfuses
 * conv + bias + ReLU while recording gradients, and the stock broadcasting Add took ~1.8 ms on
 * conv1's output per step. Every other Add goes to the stock kernel.
 */
export function add(args: { inputs: { a: TensorInfo; b: TensorInfo }; backend: WasmBackendLike; attrs: Record<string, never> }): TensorInfo {
  const { a, b } = args.inputs;
  const backend = args.backend;
  const rowFirst = isRowPlusBias(a, b);
  const big = rowFirst ? a : b;
  const bias = rowFirst ? b : a;
  const simd = rowFirst || isRowPlusBias(b, a) ? simdKernels(backend.wasm.asm?.memory) : undefined;
  if (!simd) {
    return runStock('Add', args);
  }
  const inner = bias.shape[0] as number;
  const out = backend.makeOutput([...big.shape], 'float32');
  simd.addrow(heapOffset(backend, big), heapOffset(backend, bias), heapOffset(backend, out), sizeOf(big) / inner, inner);
  return out;
}

const sizeOf = (t: TensorInfo): number => t.shape.reduce((p, q) => p * q, 1);

function isRowPlusBias(x: TensorInfo, bias: TensorInfo): boolean {
  const c = bias.shape[0];
  return (
    x.dtype === 'float32' && bias.dtype === 'float32' && bias.shape.length === 1 && x.shape.length >= 2 && c !== undefined && c > 0 && c % 4 === 0 && x.shape[x.shape.length - 1] === c
  );
}

export const addConfig: KernelConfig = {
  kernelName: 'Add',
  backendName: 'wasm',
  kernelFunc: add as unknown as KernelFunc,
};
