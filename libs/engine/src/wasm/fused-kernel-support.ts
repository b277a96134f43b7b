import * as tf from '@tensorflow/tfjs';
import { EngineError } from '../engine-error';
import { simdKernels } from './simd/simd-kernels';
import type { SimdKernels } from './simd/simd-kernels';
import type { WasmBackendLike } from './wasm-memory';

/**
 * Whether one of our fused kernels can run now: fusion not turned off (DTRAIN_FUSE=0), the active
 * backend is wasm, the kernel is registered and our SIMD module loads on the backend's memory.
 * Shape checks are each kernel's own.
 */
export function fusedKernelAvailable(kernelName: string): boolean {
  // The backend first: a browser tab (no `process`) never gets past it.
  if (tf.getBackend() !== 'wasm' || process.env['DTRAIN_FUSE'] === '0' || !tf.getKernel(kernelName, 'wasm')) return false;
  const backend = tf.backend() as unknown as WasmBackendLike;
  return simdKernels(backend.wasm.asm?.memory) !== undefined;
}

/** Our SIMD kernels on this backend, or the fused kernel's coded refusal when wasm SIMD is missing. */
export function simdForFusedKernel(backend: WasmBackendLike, kernelName: string): SimdKernels {
  const simd = simdKernels(backend.wasm.asm?.memory);
  if (!simd) throw new EngineError('ENGINE_ERR_UNSUPPORTED', `${kernelName} needs wasm SIMD`);
  return simd;
}
