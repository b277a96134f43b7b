import type { EncodedTensor } from '@dtrain/protocol';
import { StepSum, decodeTensor } from '@dtrain/training';

/**
 * The BSP step's gradient mean and loss, weighted by each push's sample count. Sums are float64: a
 * float32 gradient times an integer sample count is exact there, so the step's mean no longer depends
 * on the order pushes arrive in (same seed → same weights).
 */
export class StepAggregate {
  private readonly sum: StepSum;
  /** The mean, once the completing push was fused into it (the sum lacks that push). */
  private fused: Float32Array | undefined;
  private weight = 0;
  private lossSum = 0;
  private count = 0;

  constructor(size: number) {
    this.sum = new StepSum(size);
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
    this.sum.reset();
    this.fused = undefined;
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
    // fp32 pushes are summed straight from the frame; lossy ones are decoded where the sum reads them.
    const g = grad.codec === 'fp32' ? grad.data : decodeTensor(grad, this.sum.scratch);
    if (last) this.fused = this.sum.meanWithLast(g, samples, 1 / this.weight);
    else this.sum.add(g, samples);
  }

  /** The step's mean gradient (valid until the next reset). */
  mean(): Float32Array {
    return this.fused ?? this.sum.mean(1 / this.weight);
  }

  /** ASP/SSP apply each gradient alone; the sum's scratch buffer, idle in those modes, takes a decoded one. */
  decodeAlone(grad: EncodedTensor): Float32Array {
    return grad.codec === 'fp32' ? grad.data : decodeTensor(grad, this.sum.scratch);
  }
}
