import type { TrainableLayout } from '@dtrain/model';
import type { Weights } from '@dtrain/protocol';
import { PROTOCOL_VERSION, encodeMessage } from '@dtrain/protocol';
import type { CompressionSpec, EncodedTensor } from '@dtrain/training';
import { TopKSelector, decodeTensor, encodeTensor, isAllFinite, parseCompression } from '@dtrain/training';

/**
 * Weights frames skip the encoder's validation pass, which is half of their encode time and sits
 * between a step's last push and the next step: the message is built here, full weights are the store's
 * (an optimizer step of validated, finite gradients) and a delta is sent only once its decoded values
 * are checked finite below. Workers still validate every frame they receive.
 */
const OWN_FRAME = { validate: false } as const;

/**
 * Exactly the weights a set of workers hold after the frames we sent them: the worker adds a decoded
 * delta into its float32 weights, and we do the same arithmetic here, so `weights` is bit-identical
 * to the worker's copy. Workers with the same history share one replica (every BSP worker does).
 */
interface Replica {
  readonly version: number;
  readonly weights: Float32Array;
}

/** The subset of a member this encoder reads; a member that is no longer active loses its replica. */
export interface WeightsHolder {
  readonly state: string;
}

export interface WeightsEncoderStats {
  fullFrames: number;
  deltaFrames: number;
  /** Frames of only the weights that train (frozen layers), to workers that hold the frozen ones. */
  packedFrames: number;
  /** Deltas that decoded to a non-finite value (e.g. beyond fp16 range) and went out in full instead. */
  fallbacks: number;
}

/**
 * Builds the `weights` frame that moves one worker from the version it holds to the current one.
 *
 * With compression 'none' the frame is the full fp32 weights (one frame per version, shared by all).
 * With a lossy codec it is that codec applied to (current − what the worker holds), and the server
 * keeps what the worker holds — the replica, updated with the *decoded* delta. This is error feedback
 * on the downlink: whatever a delta drops is still in the next difference, so a worker's weights
 * differ from the server's by at most one delta's quantisation error and never drift. Compressing
 * deltas without the replica (delta of consecutive server versions) would let those errors add up
 * as a random walk over the run. A worker that holds nothing (first join, reconnect) gets the full
 * fp32 weights, exact.
 */
export class WeightsEncoder {
  private readonly spec: CompressionSpec;
  private readonly selector = new TopKSelector();
  private readonly held = new Map<WeightsHolder, Replica>();
  private full: { version: number; frame: Uint8Array; replica: Replica | undefined } | undefined;
  private packed: { version: number; frame: Uint8Array } | undefined;
  private readonly packedBuffer: Float32Array | undefined;
  /**
   * The last delta built, reused by every holder of the same replica moving to the same version (all
   * BSP workers, one after the other). One entry only: links between replicas would keep every
   * replica since the last full frame alive.
   */
  private last: { from: Replica; version: number; frame: Uint8Array; replica: Replica } | undefined;
  private readonly diff: Float32Array;
  readonly stats: WeightsEncoderStats = { fullFrames: 0, deltaFrames: 0, packedFrames: 0, fallbacks: 0 };

  /**
   * `layout` (frozen layers): with compression 'none', a holder that takes packed frames and already
   * holds weights of this connection gets only the weights that train; frozen ones never change.
   */
  constructor(
    compression: string | CompressionSpec,
    readonly size: number,
    private readonly layout?: TrainableLayout,
  ) {
    this.spec = typeof compression === 'string' ? parseCompression(compression) : compression;
    this.diff = new Float32Array(this.spec.kind === 'none' ? 0 : size);
    this.packedBuffer = layout && this.spec.kind === 'none' ? new Float32Array(layout.size) : undefined;
  }

  /**
   * The frame for `holder`, which holds `knownVersion` (−1: nothing), to reach `version` of `weights`.
   * Records that the holder will hold the result, so call it only for frames that are sent.
   */
  frameFor(holder: WeightsHolder, knownVersion: number, version: number, weights: Float32Array, takesPacked = false): Uint8Array {
    this.forgetInactive();
    if (this.spec.kind === 'none') return takesPacked && knownVersion >= 0 && this.layout ? this.packedFrame(version, weights, this.layout) : this.fullFrame(version, weights, false).frame;
    const r = this.held.get(holder);
    if (knownVersion < 0 || !r || r.version !== knownVersion) return this.sendFull(holder, version, weights);
    if (this.last && this.last.from === r && this.last.version === version) {
      this.held.set(holder, this.last.replica);
      this.stats.deltaFrames++;
      return this.last.frame;
    }
    const diff = this.diff;
    for (let i = 0; i < diff.length; i++) diff[i] = weights[i]! - r.weights[i]!;
    const payload = encodeTensor(diff, this.spec, this.selector);
    // The worker does decode-then-add in float32; doing the same keeps the replica bit-identical.
    const decoded = decodeTensor(payload);
    if (!isAllFinite(decoded)) {
      this.stats.fallbacks++;
      return this.sendFull(holder, version, weights);
    }
    const next = r.weights.slice();
    for (let i = 0; i < next.length; i++) next[i]! += decoded[i]!;
    const replica: Replica = { version, weights: next };
    const frame = encodeMessage(weightsMessage(version, payload, r.version), OWN_FRAME);
    this.last = { from: r, version, frame, replica };
    this.held.set(holder, replica);
    this.stats.deltaFrames++;
    return frame;
  }

  /** How many distinct replicas are alive (memory: size × 4 bytes each). */
  get replicas(): number {
    return new Set(this.held.values()).size;
  }

  private sendFull(holder: WeightsHolder, version: number, weights: Float32Array): Uint8Array {
    const f = this.fullFrame(version, weights, true);
    this.held.set(holder, f.replica!);
    return f.frame;
  }

  private fullFrame(version: number, weights: Float32Array, keepReplica: boolean): { frame: Uint8Array; replica: Replica | undefined } {
    if (this.full?.version !== version) {
      const payload: EncodedTensor = { codec: 'fp32', length: this.size, data: weights };
      this.full = { version, frame: encodeMessage(weightsMessage(version, payload), OWN_FRAME), replica: undefined };
    }
    // The frame is a copy already; the replica needs its own, as the store's weights keep changing.
    if (keepReplica) this.full.replica ??= { version, weights: weights.slice() };
    this.stats.fullFrames++;
    return this.full;
  }

  private packedFrame(version: number, weights: Float32Array, layout: TrainableLayout): Uint8Array {
    if (this.packed?.version !== version) {
      const data = layout.gather(weights, this.packedBuffer);
      const msg: Weights = { ...weightsMessage(version, { codec: 'fp32', length: data.length, data }), layout: 'trainable' };
      this.packed = { version, frame: encodeMessage(msg, OWN_FRAME) };
    }
    this.stats.packedFrames++;
    return this.packed.frame;
  }

  private forgetInactive(): void {
    for (const h of this.held.keys()) if (h.state !== 'active') this.held.delete(h);
  }
}

function weightsMessage(version: number, payload: EncodedTensor, baseVersion?: number): Weights {
  return baseVersion === undefined
    ? { type: 'weights', v: PROTOCOL_VERSION, version, encoding: 'full', payload }
    : { type: 'weights', v: PROTOCOL_VERSION, version, encoding: 'delta', baseVersion, payload };
}
