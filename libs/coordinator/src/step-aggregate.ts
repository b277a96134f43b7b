import type { TrainableLayout } from '@dtrain/model';
import type { EncodedTensor, UpdatePart } from '@dtrain/protocol';
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
  /** Sharded: the pushes the step is made of (the shards sum their slices). */
  readonly parts: UpdatePart[] = [];

  /** With a layout: where a packed lossy push is decoded before it is unpacked. */
  private readonly packing: { layout: TrainableLayout; scratch: Float32Array } | undefined;

  /** `layout`: pushes may also come packed (only the weights that train); they are unpacked with zeros for the frozen ones. */
  constructor(size: number, layout?: TrainableLayout) {
    this.sum = new StepSum(size);
    this.packing = layout ? { layout, scratch: new Float32Array(layout.size) } : undefined;
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
    this.parts.length = 0;
  }

  /** Counts a push's samples and loss; its gradient follows with `add`, once the caller knows whether it is the last. */
  countPush(samples: number, loss: number): void {
    this.weight += samples;
    this.lossSum += loss * samples;
    this.count++;
  }

  /** Adds the gradient of the push just counted; `last` (it completes the step) forms the mean in the same pass. */
  add(grad: EncodedTensor, samples: number, last: boolean): void {
    const g = this.decodeAlone(grad);
    if (last) this.fused = this.sum.meanWithLast(g, samples, 1 / this.weight);
    else this.sum.add(g, samples);
  }

  /** The step's mean gradient (valid until the next reset). */
  mean(): Float32Array {
    return this.fused ?? this.sum.mean(1 / this.weight);
  }

  /**
   * The full-length gradient of one push: an fp32 push straight from the frame, a lossy one decoded
   * where the sum reads it, a packed one unpacked there too. BSP sums it (`add`); ASP/SSP apply each
   * gradient alone, the sum's buffer being idle in those modes.
   */
  decodeAlone(grad: EncodedTensor): Float32Array {
    const p = this.packing;
    if (!p || grad.length === this.sum.size) return grad.codec === 'fp32' ? grad.data : decodeTensor(grad, this.sum.scratch);
    return p.layout.scatter(grad.codec === 'fp32' ? grad.data : decodeTensor(grad, p.scratch), this.sum.scratch);
  }
}
