import { recordFallback } from './kernel-fallbacks';
import type { SimdKernels } from './simd/simd-kernels';
import { simdKernels } from './simd/simd-kernels';
import type { WasmBackendLike } from './wasm-memory';

/**
 * Our SIMD kernels for a path of `kernel` that would use them, or undefined where the module did
 * not load on this backend's memory; that is then recorded as `kernel` falling back (`instead`
 * says to what), so a run without SIMD is visible in `kernelFallbacks()`. Call it only once the
 * configuration is one the SIMD path covers.
 */
export function simdOrFallback(backend: WasmBackendLike, kernel: string, instead: string): SimdKernels | undefined {
  const simd = simdKernels(backend.wasm.asm?.memory);
  if (!simd) recordFallback(kernel, instead);
  return simd;
}
