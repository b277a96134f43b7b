import { addWeighted, meanWithLast, scaleInto } from './step-sum-loops';
import { align16, instantiateSimd } from './simd/simd-module';

interface StepSumExports {
  addw(acc: number, g: number, n: number, w: number): void;
  meanlast(out: number, acc: number, g: number, n: number, w: number, inv: number): void;
  scale(out: number, acc: number, n: number, inv: number): void;
}

export interface StepSumOptions {
  /** Run the loops in wasm SIMD where it compiles (default true): the same bits as the JS loops, ~3× faster. */
  simd?: boolean;
}

/**
 * A BSP step's weighted gradient sum, float64, and its float32 mean. A float32 gradient times an
 * integer sample count is exact in float64, so the mean does not depend on the order pushes arrive
 * in. With SIMD (src/simd/step-sum.wat) the sum, a staging buffer and the mean live in a wasm memory
 * of their own: a push is copied in (or decoded straight into `scratch`), then summed 4 elements at a time.
 */
export class StepSum {
  /** A buffer a lossy push can be decoded into; `add(scratch, …)` then sums it without a copy. */
  readonly scratch: Float32Array;
  private readonly acc: Float64Array;
  private readonly out: Float32Array;
  private readonly simd: { k: StepSumExports; ACC: number; G: number; OUT: number; n4: number } | undefined;

  constructor(readonly size: number, opts: StepSumOptions = {}) {
    const ACC = 0;
    const G = align16(ACC + 8 * size);
    const OUT = align16(G + 4 * size);
    const mod = (opts.simd ?? true) ? instantiateSimd<StepSumExports>('step-sum', OUT + 4 * size + 16, ['addw', 'meanlast', 'scale']) : undefined;
    if (mod) {
      this.acc = new Float64Array(mod.buffer, ACC, size);
      this.scratch = new Float32Array(mod.buffer, G, size);
      this.out = new Float32Array(mod.buffer, OUT, size);
      this.simd = { k: mod.exports, ACC, G, OUT, n4: size - (size % 4) };
    } else {
      this.acc = new Float64Array(size);
      this.scratch = new Float32Array(size);
      this.out = new Float32Array(size);
      this.simd = undefined;
    }
  }

  /** Empties the sum. */
  reset(): void {
    this.acc.fill(0);
  }

  /** sum += weight · g */
  add(g: Float32Array, weight: number): void {
    const s = this.simd;
    if (!s) return addWeighted(this.acc, g, weight);
    this.stage(g);
    s.k.addw(s.ACC, s.G, s.n4, weight);
    if (s.n4 < this.size) addWeighted(this.acc.subarray(s.n4), g.subarray(s.n4), weight);
  }

  /**
   * (sum + weight · g) · inv: the step's last push and the mean in one pass, bit-identical to add then
   * mean. The sum is left without g, so call it only for the push that completes the step. The result
   * is this object's buffer, valid until the next call.
   */
  meanWithLast(g: Float32Array, weight: number, inv: number): Float32Array {
    const s = this.simd;
    if (!s) {
      meanWithLast(this.out, this.acc, g, weight, inv);
      return this.out;
    }
    this.stage(g);
    s.k.meanlast(s.OUT, s.ACC, s.G, s.n4, weight, inv);
    if (s.n4 < this.size) meanWithLast(this.out.subarray(s.n4), this.acc.subarray(s.n4), g.subarray(s.n4), weight, inv);
    return this.out;
  }

  /** sum · inv, rounded once to float32 (this object's buffer, valid until the next call). */
  mean(inv: number): Float32Array {
    const s = this.simd;
    if (!s) {
      scaleInto(this.out, this.acc, inv);
      return this.out;
    }
    s.k.scale(s.OUT, s.ACC, s.n4, inv);
    if (s.n4 < this.size) scaleInto(this.out.subarray(s.n4), this.acc.subarray(s.n4), inv);
    return this.out;
  }

  /** Puts g where the module reads it (a push decoded into `scratch` already is). */
  private stage(g: Float32Array): void {
    if (g !== this.scratch) this.scratch.set(g);
  }
}
