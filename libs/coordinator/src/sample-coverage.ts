/** How one epoch's samples were applied: the proof that membership changes skipped or repeated none. */
export interface EpochCoverage {
  epoch: number;
  /** Samples in the epoch (the run's training set). */
  expected: number;
  /** Samples inside applied gradients, counting repeats. */
  applied: number;
  /** Samples of the epoch never applied. */
  missed: number;
  /** Samples applied more than once. */
  repeated: number;
}

/** Per-sample counts saturate here; anything above 1 is already a repeat. */
const MAX_COUNT = 255;

/**
 * Counts, per training sample, how many applied gradients contained it in the current epoch. It is
 * kept apart from EpochPlan on purpose: the plan decides who computes what, this checks the outcome,
 * so a bug in re-homing work shows up as `missed` or `repeated` instead of passing silently.
 */
export class SampleCoverage {
  private readonly counts: Uint8Array;
  private applied = 0;

  constructor(private readonly indices: Uint32Array) {
    let max = -1;
    for (let i = 0; i < indices.length; i++) max = Math.max(max, indices[i] as number);
    this.counts = new Uint8Array(max + 1);
  }

  add(samples: ArrayLike<number>): void {
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i] as number;
      if (s < this.counts.length) this.counts[s] = Math.min(MAX_COUNT, (this.counts[s] as number) + 1);
    }
    this.applied += samples.length;
  }

  report(epoch: number): EpochCoverage {
    let missed = 0;
    let repeated = 0;
    for (let i = 0; i < this.indices.length; i++) {
      const c = this.counts[this.indices[i] as number] as number;
      if (c === 0) missed++;
      else if (c > 1) repeated++;
    }
    return { epoch, expected: this.indices.length, applied: this.applied, missed, repeated };
  }

  reset(): void {
    this.counts.fill(0);
    this.applied = 0;
  }

  /** Counts as float32 (the checkpoint format stores f32 blobs), plus the running total. */
  snapshot(): { counts: Float32Array; applied: number } {
    return { counts: Float32Array.from(this.counts), applied: this.applied };
  }

  restore(s: { counts: Float32Array; applied: number }): void {
    this.reset();
    this.counts.set(s.counts.subarray(0, this.counts.length));
    this.applied = s.applied;
  }
}
