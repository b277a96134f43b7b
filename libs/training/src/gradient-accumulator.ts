import { addDecodedInto } from './codec';
import type { EncodedTensor } from './encoded-tensor';
import { TrainingError, assertLength } from './training-error';
import { checkWeight } from './weighted-mean';

/**
 * A running weighted sum of gradients for BSP / backup-worker aggregation: each push is folded in as it
 * arrives (dense or still encoded), so the server never keeps every worker's array. With weights =
 * sample counts and per-worker mean gradients, `mean()` is the mean gradient over all samples.
 * One float32 buffer of `size`; no allocation per add.
 */
export class GradientAccumulator {
  private readonly sum: Float32Array;
  private n = 0;
  private total = 0;

  constructor(readonly size: number) {
    this.sum = new Float32Array(size);
  }

  /** Adds weight · grad. Encoded gradients must have passed `validateEncodedTensor` already. Weight finite, > 0. */
  add(grad: Float32Array | EncodedTensor, weight: number): void {
    checkWeight(weight);
    if (weight === 0) throw new TrainingError('TRAIN_ERR_BAD_WEIGHT', 'a contribution needs a positive weight', { weight });
    const s = this.sum;
    if (grad instanceof Float32Array) {
      assertLength('gradient', grad.length, this.size);
      for (let i = 0; i < s.length; i++) s[i]! += weight * grad[i]!;
    } else {
      addDecodedInto(s, grad, weight);
    }
    this.n++;
    this.total += weight;
  }

  /** Σ wᵢ·gᵢ / Σ wᵢ into `out` (or a new array). TRAIN_ERR_EMPTY before the first add. */
  mean(out?: Float32Array): Float32Array {
    if (this.n === 0) throw new TrainingError('TRAIN_ERR_EMPTY', 'mean of an empty accumulator');
    const dst = out ?? new Float32Array(this.size);
    assertLength('mean output', dst.length, this.size);
    const inv = 1 / this.total;
    const s = this.sum;
    for (let i = 0; i < s.length; i++) dst[i] = s[i]! * inv;
    return dst;
  }

  reset(): void {
    this.sum.fill(0);
    this.n = 0;
    this.total = 0;
  }

  get count(): number {
    return this.n;
  }

  get totalWeight(): number {
    return this.total;
  }
}
