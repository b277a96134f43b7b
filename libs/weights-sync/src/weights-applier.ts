import type { TrainableLayout } from '@dtrain/model';
import type { Weights } from '@dtrain/protocol';
import { decodeTensor } from '@dtrain/training';

/** What became of a weights frame on the worker. */
export type ApplyOutcome =
  | 'applied'
  /** A delta against a version this worker does not hold (a frame it missed): ignored. */
  | 'stale'
  /** A packed frame without the frozen weights to go with it: the worker must reconnect for full weights. */
  | 'resync';

/**
 * The worker's end of the weights downlink (the server's is WeightsEncoder): applies full, packed
 * (trainable layers only) and delta frames to the worker's copy, with the same float32 arithmetic the
 * encoder's replica uses, so the two stay bit-identical. Full fp32 frames are not copied: their view
 * is handed to `load` and copied only when a later delta or packed frame needs a base.
 */
export class WeightsApplier {
  private held = -1;
  private readonly own: Float32Array;
  /** A full fp32 frame's view that is the current weights while set (`own` is behind it). */
  private lastFull: Float32Array | undefined;

  constructor(
    readonly size: number,
    private readonly load: (weights: Float32Array) => void,
    private readonly layout?: TrainableLayout,
  ) {
    this.own = new Float32Array(size);
  }

  /** The version of the weights held (−1: none yet). */
  get version(): number {
    return this.held;
  }

  apply(msg: Weights): ApplyOutcome {
    if (msg.layout === 'trainable') {
      // Only the weights that train; the frozen ones are those of our full copy, which they never leave.
      if (!this.layout || this.held < 0) return 'resync';
      this.layout.place(decodeTensor(msg.payload), this.current());
      this.load(this.own);
    } else if (msg.encoding === 'delta') {
      if (this.held !== msg.baseVersion) return 'stale';
      const w = this.current();
      const delta = decodeTensor(msg.payload);
      for (let i = 0; i < delta.length; i++) w[i]! += delta[i]!;
      this.load(w);
    } else if (msg.payload.codec === 'fp32') {
      this.load(msg.payload.data);
      this.lastFull = msg.payload.data;
    } else {
      this.lastFull = undefined;
      decodeTensor(msg.payload, this.own);
      this.load(this.own);
    }
    this.held = msg.version;
    return 'applied';
  }

  /** The weights held, as this worker's own copy (materialised from a full frame's view if needed). */
  current(): Float32Array {
    if (this.lastFull) {
      this.own.set(this.lastFull);
      this.lastFull = undefined;
    }
    return this.own;
  }
}
