import type { EncodedTensor } from '@dtrain/protocol';
import { decodeTensor } from '@dtrain/training';
import { addWeighted, meanWithLast, scaleInto } from './step-sum';

/**
 * The BSP step's gradient mean and loss, weighted by each push's sample count. Sums are float64: a
 * float32 gradient times an integer sample count is exact there, so the step's mean no longer depends
 * on the order pushes arrive in (same seed → same weights).
 */
export class StepAggregate {
  private readonly out: Float32Array;
  private readonly sum64: Float64Array;
  /** Decoded gradients of lossy codecs (fp32 pushes are summed straight from the frame). */
  private readonly scratch: Float32Array;
  /** `out` already holds the mean (the completing push was fused into it); `sum64` lacks that push. */
  private meanReady = false;
  private weight = 0;
  private lossSum = 0;
  private count = 0;

  constructor(size: number) {
    this.out = new Float32Array(size);
    this.sum64 = new Float64Array(size);
    this.scratch = new Float32Array(size);
  }

  /** Pushes counted in this step. */
  get pushes(): number {
    return this.count;
  }

  /** Samples counted in this step. */
  get samples(): number {
    return this.weight;
  }

  get meanLoss(): number {
    return this.lossSum / this.weight;
  }

  reset(): void {
    // `out` needs no clearing: the mean overwrites all of it.
    this.sum64.fill(0);
    this.meanReady = false;
    this.weight = 0;
    this.lossSum = 0;
    this.count = 0;
  }

  /** Counts a push's samples and loss; its gradient follows with `add`, once the caller knows whether it is the last. */
  countPush(samples: number, loss: number): void {
    this.weight += samples;
    this.lossSum += loss * samples;
    this.count++;
  }

  /** Adds the gradient of the push just counted; `last` (it completes the step) forms the mean in the same pass. */
  add(grad: EncodedTensor, samples: number, last: boolean): void {
    const g = grad.codec === 'fp32' ? grad.data : decodeTensor(grad, this.scratch);
    if (last) {
      meanWithLast(this.out, this.sum64, g, samples, 1 / this.weight);
      this.meanReady = true;
    } else addWeighted(this.sum64, g, samples);
  }

  /** The step's mean gradient (valid until the next reset). */
  mean(): Float32Array {
    if (!this.meanReady) scaleInto(this.out, this.sum64, 1 / this.weight);
    return this.out;
  }

  /** ASP/SSP apply each gradient alone; the mean's buffer, idle in those modes, takes a decoded one. */
  decodeAlone(grad: EncodedTensor): Float32Array {
    return grad.codec === 'fp32' ? grad.data : decodeTensor(grad, this.out);
  }
}
