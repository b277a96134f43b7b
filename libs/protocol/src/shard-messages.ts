import type { PROTOCOL_VERSION } from './constants';
import type { EncodedTensor } from './encoded-tensor';

/**
 * The shard plane: with `K > 1` parameter shards, shard k holds the key range [start, end) of the
 * flat parameter vector with its own optimizer state. Workers push slice k of their gradient to
 * shard k and take slice k of the weights from it; the coordinator keeps everything global (who is
 * in the step, which pushes make an update, evaluation, checkpoints) and tells every shard, in one
 * order, which pushes each update is made of. Gradient and weight bytes never pass through it.
 */
interface Versioned {
  v: typeof PROTOCOL_VERSION;
}

/** Worker → shard, the first frame on a shard connection: who it is, proved by the coordinator's ticket. */
export interface Attach extends Versioned {
  type: 'attach';
  workerId: string;
  runId: string;
  /** From the worker's welcome: HMAC of (runId, workerId) under the run's shard key. */
  ticket: string;
}

/** One shard's place in the run, as the coordinator's welcome tells a worker. */
export interface ShardRoute {
  url: string;
  start: number;
  end: number;
}

/**
 * The optimizer of a slice. Its slots (Adam's moments) travel in the message's `state` tensor after
 * the weights, in the order named here, each as long as the slice.
 */
export interface SliceOptimizer {
  kind: 'adam' | 'sgd';
  learningRate: number;
  step: number;
  slots: string[];
}

/** Coordinator → shard, first frame on the coordinator's connection: the slice and how to train it. */
export interface ShardOpen extends Versioned {
  type: 'shard-open';
  /** The run's token, when the shard was started with one (as a join carries it). */
  token?: string;
  runId: string;
  index: number;
  start: number;
  end: number;
  /** The version the state is at (0 for a fresh run, the checkpoint's on resume). */
  version: number;
  /** fp32: the slice's weights, then each optimizer slot. */
  state: EncodedTensor;
  optimizer: SliceOptimizer;
  /** 1 = trains, 0 = frozen, one byte per weight of the slice; absent: all train. */
  mask?: Uint8Array;
  /** The codec of weights frames to workers (deltas with a replica, as from one server). */
  weightsCompression: string;
  /** Key for workers' tickets (HMAC-SHA256, base64url), so only members the coordinator admitted may push. */
  ticketKey: string;
  maxGradientAbs: number;
  gradientSpikeFactor: number;
}

/** Shard → coordinator: the slice is open at `version`. */
export interface ShardReady extends Versioned {
  type: 'shard-ready';
  index: number;
  version: number;
}

/** Shard → coordinator: it holds (workerId, step)'s slice, or refused it (`code`). */
export interface Receipt extends Versioned {
  type: 'receipt';
  workerId: string;
  step: number;
  code?: string;
}

/** One push an update is made of, weighted by the samples the coordinator gave it. */
export interface UpdatePart {
  workerId: string;
  step: number;
  samples: number;
}

/** Coordinator → shard: make update `version` (the one after the shard's) from these pushes. */
export interface Verdict extends Versioned {
  type: 'verdict';
  version: number;
  learningRate: number;
  parts: UpdatePart[];
}

/** Coordinator → shard: send these workers the slice at `version` (they are about to compute on it). */
export interface Deliver extends Versioned {
  type: 'deliver';
  version: number;
  workers: string[];
}

/** Coordinator → shard: drop the held slices of pushes that will never be applied. */
export interface Forget extends Versioned {
  type: 'forget';
  workerId: string;
  step: number;
}

/** Coordinator → shard: send the slice's weights (and optimizer state, for a checkpoint). */
export interface Fetch extends Versioned {
  type: 'fetch';
  requestId: number;
  optimizer: boolean;
}

/** Shard → coordinator, the reply to `fetch`. */
export interface SliceState extends Versioned {
  type: 'slice-state';
  replyTo: number;
  version: number;
  /** fp32: the slice's weights, then (with `optimizer`) each optimizer slot. */
  state: EncodedTensor;
  optimizer?: SliceOptimizer;
  /**
   * Bytes the shard has received and sent (frames, all peers), and of those its workers' push frames
   * in and weights frames out.
   */
  traffic?: { bytesIn: number; bytesOut: number; gradientBytes: number; weightBytes: number };
}

export type ShardMessage = Attach | ShardOpen | ShardReady | Receipt | Verdict | Deliver | Forget | Fetch | SliceState;

export const SHARD_MESSAGE_TYPES = Object.freeze([
  'attach',
  'shard-open',
  'shard-ready',
  'receipt',
  'verdict',
  'deliver',
  'forget',
  'fetch',
  'slice-state',
] as const satisfies readonly ShardMessage['type'][]);
