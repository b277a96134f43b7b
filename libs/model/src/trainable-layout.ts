import { isFrozenWeight } from './frozen-layers';
import { ModelError } from './model-error';
import type { WeightManifest } from './weight-manifest';

/**
 * The weights that train when layers are frozen, as runs of the manifest's flat layout: what a
 * push or a weights frame carries then (manifest order, the frozen runs left out). `gather` packs a
 * full array, `scatter` unpacks a packed gradient into a full-size buffer with zeros for the frozen
 * weights, `place` packed weights into a full copy whose frozen weights stay.
 */
export class TrainableLayout {
  /** How many weights train: the length of a packed gradient. */
  readonly size: number;

  private constructor(
    readonly fullSize: number,
    private readonly runs: readonly (readonly [offset: number, length: number])[],
  ) {
    this.size = runs.reduce((s, r) => s + r[1], 0);
  }

  /**
   * Undefined when every weight trains: the full layout is the packed one then. Weights that are
   * state rather than trained (batch norm's moving statistics) are left out like frozen ones.
   */
  static of(manifest: WeightManifest, frozen: readonly string[]): TrainableLayout | undefined {
    if (frozen.length === 0 && manifest.entries.every((e) => e.trainable)) return undefined;
    const runs: [number, number][] = [];
    for (const e of manifest.entries) {
      if (e.size === 0 || !e.trainable || isFrozenWeight(e.name, frozen)) continue;
      const last = runs[runs.length - 1];
      if (last && last[0] + last[1] === e.offset) last[1] += e.size;
      else runs.push([e.offset, e.size]);
    }
    const layout = new TrainableLayout(manifest.totalSize, runs);
    return layout.size < manifest.totalSize ? layout : undefined;
  }

  /** The trainable weights of `full`, packed into `out`. */
  gather(full: Float32Array, out: Float32Array = new Float32Array(this.size)): Float32Array {
    this.check(full, this.fullSize, 'full');
    this.check(out, this.size, 'packed');
    let at = 0;
    for (const [offset, length] of this.runs) {
      out.set(full.subarray(offset, offset + length), at);
      at += length;
    }
    return out;
  }

  /** `full` ← `packed` at the trainable weights and 0 at the frozen ones. */
  scatter(packed: Float32Array, full: Float32Array): Float32Array {
    this.check(packed, this.size, 'packed');
    this.check(full, this.fullSize, 'full');
    let end = 0;
    for (const [offset, length] of this.runs) {
      full.fill(0, end, offset);
      end = offset + length;
    }
    full.fill(0, end);
    return this.place(packed, full);
  }

  /** `full` ← `packed` at the trainable weights; the frozen ones keep their values. */
  place(packed: Float32Array, full: Float32Array): Float32Array {
    this.check(packed, this.size, 'packed');
    this.check(full, this.fullSize, 'full');
    let at = 0;
    for (const [offset, length] of this.runs) {
      full.set(packed.subarray(at, at + length), offset);
      at += length;
    }
    return full;
  }

  private check(a: Float32Array, want: number, what: string): void {
    if (a.length !== want) throw new ModelError('MODEL_ERR_SIZE_MISMATCH', `${what} array has ${a.length} values, the layout ${want}`, { expected: want, received: a.length });
  }
}
