/** One way a kernel of ours ran slower than it was built to, and how often it happened. */
export interface KernelFallback {
  kernel: string;
  reason: string;
  count: number;
}

/**
 * kernel → reason → entry. Kept apart per kernel so the hot path is two Map lookups and an
 * increment, with no key string built per call (callers pass constant reasons).
 */
const fallbacks = new Map<string, Map<string, KernelFallback>>();

/**
 * Records that `kernel` took a slower path than its own fast one: the stock kernel for a
 * configuration it does not cover, or a JS path because our SIMD module did not load. Not for a
 * configuration a replacement leaves to the stock kernel by design (see `delegateToStock`).
 */
export function recordFallback(kernel: string, reason: string): void {
  let reasons = fallbacks.get(kernel);
  if (!reasons) {
    reasons = new Map();
    fallbacks.set(kernel, reasons);
  }
  const entry = reasons.get(reason);
  if (entry) entry.count++;
  else reasons.set(reason, { kernel, reason, count: 1 });
}

/** Every fallback since the last reset, once per (kernel, reason), in the order first seen: what to show users. */
export function kernelFallbacks(): KernelFallback[] {
  const out: KernelFallback[] = [];
  for (const reasons of fallbacks.values()) for (const e of reasons.values()) out.push({ ...e });
  return out;
}

/** The kernels that fell back, each once whatever its reasons, in the order first seen (what summaries and heartbeats list). */
export function kernelFallbackNames(): string[] {
  return [...fallbacks.keys()];
}

/** Forgets every recorded fallback (e.g. before the run whose fallbacks are to be reported). */
export function resetKernelFallbacks(): void {
  fallbacks.clear();
}
