import { encodeTensor, addDecodedInto } from './codec';
import type { CompressionSpec } from './compression-spec';
import { checkCompression } from './compression-spec';
import type { EncodedTensor } from './encoded-tensor';
import { TopKSelector } from './top-k';
import { isAllFinite } from './tensor-checks';
import { TrainingError, assertLength } from './training-error';

/**
 * Error feedback (a.k.a. error compensation) for lossy gradient compression: what compression drops
 * this step is carried into the next, so nothing is lost, only delayed. Invariant after every step:
 * Σ decode(sent) + residual = Σ grad (up to float32 rounding). One per worker; allocation-free
 * apart from the encoded payload itself.
 */
export class ErrorFeedback {
  private readonly r: Float32Array;
  private readonly selector = new TopKSelector();
  readonly spec: CompressionSpec;

  constructor(
    readonly size: number,
    spec: CompressionSpec,
  ) {
    this.spec = checkCompression(spec);
    this.r = new Float32Array(size);
  }

  /**
   * Encodes grad + residual, and keeps (grad + residual) − decode(sent) as the new residual.
   * A non-finite gradient throws TRAIN_ERR_BAD_TENSOR before touching the residual: one NaN carried
   * in the residual would poison every later step of this worker.
   */
  compress(grad: Float32Array): EncodedTensor {
    assertLength('gradient', grad.length, this.size);
    if (!isAllFinite(grad)) throw new TrainingError('TRAIN_ERR_BAD_TENSOR', 'gradient holds NaN or Infinity; nothing was sent');
    const r = this.r;
    for (let i = 0; i < r.length; i++) r[i]! += grad[i]!;
    const sent = encodeTensor(r, this.spec, this.selector);
    if (sent.codec === 'fp32') r.fill(0); // lossless: exactly zero, not r − r
    else addDecodedInto(r, sent, -1);
    return sent;
  }

  /**
   * What a push carried beyond its own gradient: decode(sent) − grad, i.e. the part of the residual it
   * spent. Keep it until the server acknowledges the push; if the push is refused or dropped (its samples
   * are redone), `restore` it so that carried error is delayed again instead of lost.
   */
  carriedBy(sent: EncodedTensor, grad: Float32Array): Float32Array {
    assertLength('gradient', grad.length, this.size);
    const out = new Float32Array(this.size);
    addDecodedInto(out, sent, 1);
    for (let i = 0; i < out.length; i++) out[i]! -= grad[i]!;
    return out;
  }

  /** Puts back what a refused push carried (see `carriedBy`): the residual is as if it was never sent. */
  restore(carried: Float32Array): void {
    assertLength('carried', carried.length, this.size);
    const r = this.r;
    for (let i = 0; i < r.length; i++) r[i]! += carried[i]!;
  }

  /** The live residual (read-only by contract; zero for 'none'). */
  residual(): Float32Array {
    return this.r;
  }

  /** Forget the carried error, e.g. after the worker re-joins with fresh weights. */
  reset(): void {
    this.r.fill(0);
  }
}
