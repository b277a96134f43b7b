import * as tf from '@tensorflow/tfjs';
import { EngineError } from '../engine-error';
import { envVar } from '../runtime-env';
import { simdKernels } from './simd/simd-kernels';
import { simdOrFallback } from './simd-or-fallback';
import type { SimdKernels } from './simd/simd-kernels';
import type { WasmBackendLike } from './wasm-memory';

/**
 * Whether one of our fused kernels can run now: fusion not turned off (DTRAIN_FUSE=0), the active
 * backend is wasm, the kernel is registered and our SIMD module loads on the backend's memory.
 * Shape checks are each kernel's own.
 */
export function fusedKernelAvailable(kernelName: string): boolean {
  if (tf.getBackend() !== 'wasm' || envVar('DTRAIN_FUSE') === '0' || !tf.getKernel(kernelName, 'wasm')) return false;
  const backend = tf.backend() as unknown as WasmBackendLike;
  return simdOrFallback(backend, kernelName, 'wasm SIMD unavailable: the unfused ops') !== undefined;
}

/** Our SIMD kernels on this backend, or the fused kernel's coded refusal when wasm SIMD is missing. */
export function simdForFusedKernel(backend: WasmBackendLike, kernelName: string): SimdKernels {
  const simd = simdKernels(backend.wasm.asm?.memory);
  if (!simd) throw new EngineError('ENGINE_ERR_UNSUPPORTED', `${kernelName} needs wasm SIMD`);
  return simd;
}

/**
 * Which of our wasm kernels run on the active backend: 'simd' (our SIMD modules loaded on its
 * memory, 'fma' when the relaxed-SIMD ones did too) or 'js' (our kernels' JS paths); undefined
 * when the backend is not wasm.
 */
export function wasmKernelMode(): 'fma' | 'simd' | 'js' | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const simd = simdKernels((tf.backend() as unknown as WasmBackendLike).wasm.asm?.memory);
  return simd ? (simd.fma ? 'fma' : 'simd') : 'js';
}
