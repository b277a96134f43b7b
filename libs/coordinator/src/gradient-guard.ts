import type { EncodedTensor } from '@dtrain/protocol';
import { maxAbsOf } from '@dtrain/training';

/** Accepted pushes whose magnitude the spike bound is the median of. */
const WINDOW = 64;
/** Pushes accepted before the spike bound applies (the absolute ceiling always does). */
const WARMUP = 16;

/**
 * A push's gradient must be finite (the codec checks that) and of a sane size: at most
 * `maxAbs` in every element — so Adam's squared moments cannot overflow float32 and freeze the
 * model (1e6² = 1e12, far below 3.4e38) — and, once warmed up, at most `spikeFactor` times the
 * median max-abs of the recently accepted pushes (0 turns that off).
 */
export class GradientGuard {
  private readonly recent: number[] = [];

  constructor(private readonly o: { maxAbs: number; spikeFactor: number }) {}

  /** Undefined when the gradient may be applied; otherwise why not. */
  check(grad: EncodedTensor): { maxAbs: number; bound: number } | undefined {
    const m = maxAbsOf(grad);
    const bound = this.bound();
    if (!(m <= bound)) return { maxAbs: m, bound };
    this.recent.push(m);
    if (this.recent.length > WINDOW) this.recent.shift();
    return undefined;
  }

  /** The largest max-abs a push may have now. */
  bound(): number {
    const { maxAbs, spikeFactor } = this.o;
    if (spikeFactor <= 0 || this.recent.length < WARMUP) return maxAbs;
    const sorted = [...this.recent].sort((a, b) => a - b);
    const median = sorted[sorted.length >> 1]!;
    return Math.min(maxAbs, Math.max(median * spikeFactor, Number.MIN_VALUE));
  }
}
