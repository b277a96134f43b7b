/**
 * `--shares throughput`: each member's BSP step time modelled as T(b) = fixed + perSample·b, fitted
 * from its recent (samples, ms) pairs, and each step's batch split so the predicted times are equal.
 *
 * Why not shares in proportion to samples/ms: with a fixed per-step cost a (round trip, weights
 * applied, kernel launches), a member's measured rate b/(a + s·b) is nearly proportional to its own
 * share, so a proportional update barely moves the split once near it and, smoothed, chases noise.
 * The split only decides who computes which samples: the update stays the sample-weighted mean.
 */

/** A member's step time as a line in its share: ms ≈ fixedMs + perSampleMs · samples. */
export interface StepTimeModel {
  fixedMs: number;
  perSampleMs: number;
}

export interface StepTimeFitOptions {
  /** Weight kept by the older steps at each new one (exponential forgetting); memory ≈ 1 / (1 − decay) steps. */
  decay?: number;
  /**
   * Pull of the slope towards the through-the-origin guess (mean ms / mean samples), in samples²
   * of spread: while the recent shares barely vary the slope is not measured, and this keeps it sane.
   */
  prior?: number;
}

const DEFAULT_DECAY = 0.95;
const DEFAULT_PRIOR = 100;

/**
 * Exponentially weighted least squares of step ms on samples, for one member. The line always
 * passes through the weighted means (so the prediction at the recent share is the recent mean time,
 * whatever the slope), and the slope shrinks towards mean ms / mean samples (fixed cost 0) until the
 * shares have varied enough to measure it. The slope is kept in [2 %, 100 %] of that guess, so the
 * fixed cost is never negative and the per-sample cost never vanishes.
 */
export class StepTimeFit {
  private w = 0;
  private sb = 0;
  private st = 0;
  private sbb = 0;
  private sbt = 0;
  private readonly decay: number;
  private readonly prior: number;

  constructor(opts: StepTimeFitOptions = {}) {
    this.decay = opts.decay ?? DEFAULT_DECAY;
    this.prior = opts.prior ?? DEFAULT_PRIOR;
  }

  /** One step: `samples` computed in `ms`. Steps without samples or with a non-finite time are ignored. */
  add(samples: number, ms: number): void {
    if (!(samples > 0) || !Number.isFinite(ms) || ms < 0) return;
    const d = this.decay;
    this.w = this.w * d + 1;
    this.sb = this.sb * d + samples;
    this.st = this.st * d + ms;
    this.sbb = this.sbb * d + samples * samples;
    this.sbt = this.sbt * d + samples * ms;
  }

  get steps(): number {
    return this.w;
  }

  model(): StepTimeModel | undefined {
    if (this.w === 0) return undefined;
    const mb = this.sb / this.w;
    const mt = this.st / this.w;
    const guess = mt / mb;
    // Centred sums: the spread of the recent shares and their covariance with the time.
    const cbb = Math.max(0, this.sbb - this.w * mb * mb);
    const cbt = this.sbt - this.w * mb * mt;
    const fitted = cbb + this.prior > 1e-9 ? (cbt + this.prior * guess) / (cbb + this.prior) : guess;
    const slope = Math.min(guess, Math.max(0.02 * guess, fitted));
    return { fixedMs: Math.max(0, mt - slope * mb), perSampleMs: slope };
  }
}

/**
 * Real-valued shares of `samples` that make every member's predicted step time equal (Σ = samples),
 * each at least `min`: T = (samples + Σ fixed/perSample) / Σ 1/perSample, share = (T − fixed)/perSample,
 * members whose share would fall under `min` pinned there and the rest solved again.
 */
export function equalTimeSplit(samples: number, models: readonly StepTimeModel[], min = 1): number[] {
  const n = models.length;
  if (n === 0) return [];
  if (samples <= min * n) return Array.from({ length: n }, () => samples / n);
  const out = new Array<number>(n).fill(min);
  let free = models.map((_, i) => i);
  let budget = samples;
  for (;;) {
    const inv = free.reduce((a, i) => a + 1 / models[i]!.perSampleMs, 0);
    const t = (budget + free.reduce((a, i) => a + models[i]!.fixedMs / models[i]!.perSampleMs, 0)) / inv;
    const low = free.filter((i) => (t - models[i]!.fixedMs) / models[i]!.perSampleMs < min);
    if (low.length === 0 || low.length === free.length) {
      for (const i of free) out[i] = low.length === 0 ? (t - models[i]!.fixedMs) / models[i]!.perSampleMs : budget / free.length;
      return out;
    }
    budget -= min * low.length;
    free = free.filter((i) => !low.includes(i));
  }
}

/** Rounds real shares summing to `samples` to integers with the same sum (largest remainder, ties to the earlier member). */
export function roundShares(samples: number, exact: readonly number[]): number[] {
  const shares = exact.map((x) => Math.floor(x));
  let left = samples - shares.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    shares[i]!++;
    left--;
  }
  return shares;
}

/**
 * Integer shares of `samples` that equalise the members' predicted step times, each member keeping
 * at least one sample while there are enough; undefined while any member has no model yet (the
 * caller splits some other way until every member has been measured).
 */
export function equalTimeShares(samples: number, models: readonly (StepTimeModel | undefined)[]): number[] | undefined {
  if (models.length === 0 || samples < models.length) return undefined;
  if (models.some((m) => m === undefined || !(m.perSampleMs > 0) || !Number.isFinite(m.fixedMs))) return undefined;
  return roundShares(samples, equalTimeSplit(samples, models as StepTimeModel[]));
}
