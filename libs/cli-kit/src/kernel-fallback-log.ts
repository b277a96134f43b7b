import type { Logger } from '@dtrain/common';
import type { KernelFallback } from '@dtrain/engine';
import { kernelFallbacks } from '@dtrain/engine';

/**
 * Logs each kernel that ran a slower fallback path in this process, with its reason and count (a
 * model the fast engine does not fully cover trains, but slower: users should see which kernels and
 * why), and returns them.
 */
export function logKernelFallbacks(log: Logger): KernelFallback[] {
  const fallbacks = kernelFallbacks();
  for (const f of fallbacks) log.warn('kernel fell back to a slower path', { kernel: f.kernel, reason: f.reason, count: f.count });
  return fallbacks;
}
