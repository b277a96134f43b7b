import type { PROTOCOL_VERSION } from './constants';
import type { EncodedTensor } from './encoded-tensor';
import type { ShardMessage, ShardRoute } from './shard-messages';
import { SHARD_MESSAGE_TYPES } from './shard-messages';

/** Every message carries the protocol version it was written for. */
interface Versioned {
  v: typeof PROTOCOL_VERSION;
}

// ---- Control ------------------------------------------------------------------------------------

export interface WorkerCapabilities {
  backend: string;
  compression: string[];
  maxFrameBytes: number;
  pid?: number;
  host?: string;
  /** The worker takes weights frames with `layout: 'trainable'` (see Weights). */
  trainableLayout?: boolean;
}

/** Worker → server, first message on a connection. `requestId` is echoed as `welcome.replyTo` / `error.replyTo`. */
export interface Join extends Versioned {
  type: 'join';
  requestId: number;
  /** Stable id chosen by the worker and reused on reconnect (≤ 64 chars of [A-Za-z0-9._-]). */
  workerId?: string;
  token?: string;
  protocolVersion: number;
  capabilities: WorkerCapabilities;
  resumeFrom?: { version: number; step: number };
  /**
   * The session secret of this worker id's previous welcome. A join under an id that has a live
   * connection replaces that connection only with it (a reconnect); without it, PS_ERR_WORKER_ID_IN_USE.
   */
  session?: string;
}

export interface ModelManifest {
  names: string[];
  shapes: number[][];
  /** Sum over shapes of the product of dims; equals the flat tensor length. */
  totalSize: number;
}

export interface Augment {
  rotateDeg: number;
  shift: number;
  scale: number;
}

export interface Hyper {
  batchSize: number;
  learningRate: number;
  epochs: number;
  seed: number;
  augment?: Augment | null;
}

/** How pushes become updates: bulk-synchronous, asynchronous, or stale-synchronous parallel. */
export const SYNC_KINDS = ['bsp', 'asp', 'ssp'] as const;
export type SyncKind = (typeof SYNC_KINDS)[number];

export interface SyncMode {
  kind: SyncKind;
  staleness: number;
}

/** Server → worker, the reply to `join`: everything the worker needs to build the model and train. */
export interface Welcome extends Versioned {
  type: 'welcome';
  replyTo: number;
  workerId: string;
  runId: string;
  /** ModelConfig JSON; libs/model validates its meaning, the protocol only bounds its size. */
  model: unknown;
  manifest: ModelManifest;
  dataset: string;
  hyper: Hyper;
  mode: SyncMode;
  compression: string;
  heartbeatMs: number;
  /** Layers (names or prefixes) whose weights the server's optimizer leaves alone. */
  frozen?: string[];
  /**
   * 'trainable': the server takes pushes that carry only the weights that train (manifest order, the
   * frozen layers' weights left out), as well as full ones. Absent: full pushes only.
   */
  pushLayout?: 'trainable';
  /** A per-member secret: a rejoin under this id presents it to take over a connection still open. */
  session?: string;
  /**
   * Sharded parameter servers: push slice k of each gradient to shard k and take slice k of the
   * weights from it (ranges cover the manifest in order); pushes here carry no gradient.
   */
  shards?: ShardRoute[];
  /** With `shards`: what this member presents to each shard (see Attach). */
  shardTicket?: string;
}

/** How an epoch's samples are split over the plan's parts: IID, or by class (non-IID). */
export const SHARD_STRATEGIES = ['iid', 'by-class'] as const;
export type ShardStrategy = (typeof SHARD_STRATEGIES)[number];

/**
 * Which part of the training set one worker trains on (libs/data derives its indices). Everything
 * else is derived, so a worker reproduces its shard from this alone plus the dataset.
 */
export interface ShardSpec {
  strategy: ShardStrategy;
  /** uint32 run seed; the same seed gives the same partition in every process. */
  seed: number;
  /** 0 ≤ index < count. */
  index: number;
  count: number;
}

/** Server → worker: the worker's shard for an epoch and how many members share the epoch. */
export interface Assign extends Versioned {
  type: 'assign';
  epoch: number;
  shard: ShardSpec;
  members: number;
}

/** Server → worker: compute gradients for these global sample indices against weights `baseVersion`. */
export interface Work extends Versioned {
  type: 'work';
  step: number;
  epoch: number;
  baseVersion: number;
  indices: Uint32Array;
  augmentSeed: number;
}

export interface WorkerStats {
  step: number;
  samplesPerSec: number;
  computeMs: number;
  rssBytes: number;
  /** Total time spent compressing/encoding pushes (step-time breakdown). */
  encodeMs?: number;
  /** Live TF.js tensors in the worker (leak detection). */
  tensors?: number;
  /** Peak resident set size of the worker process. */
  peakRssBytes?: number;
  /** Process CPU time (user + system, every thread) since the worker's first step ended, in ms. */
  cpuMs?: number;
  /** Steps the worker finished in that time: cpuMs / cpuSteps is its CPU per steady step. */
  cpuSteps?: number;
  /** Kernels that ran a slower fallback path in this worker (a model the fast engine does not fully cover). */
  kernelFallbacks?: string[];
}

export interface Heartbeat extends Versioned {
  type: 'heartbeat';
  ts: number;
  stats?: WorkerStats;
}

export interface Leave extends Versioned {
  type: 'leave';
  reason: string;
}

export interface ErrorMessage extends Versioned {
  type: 'error';
  code: string;
  message: string;
  fatal: boolean;
  replyTo?: number;
}

export type DoneReason = 'finished' | 'stopped' | 'failed';

export interface Done extends Versioned {
  type: 'done';
  reason: DoneReason;
  summary?: Record<string, unknown>;
}

// ---- Data ---------------------------------------------------------------------------------------

export type WeightsEncoding = 'full' | 'delta';

/** Server → worker: weights at `version`, either in full or as a delta from `baseVersion`. */
export interface Weights extends Versioned {
  type: 'weights';
  version: number;
  encoding: WeightsEncoding;
  payload: EncodedTensor;
  /** Required when `encoding` is 'delta'. */
  baseVersion?: number;
  /**
   * 'trainable' (with encoding 'full' only): the payload holds only the weights that train (manifest
   * order, the welcome's frozen layers left out); the frozen ones stay as the worker holds them. Sent
   * only to a worker that listed `capabilities.trainableLayout` and already holds weights from this
   * connection.
   */
  layout?: 'trainable';
}

/** Worker → server: gradients of `samples` samples at `step`, computed against weights `baseVersion`. */
export interface Push extends Versioned {
  type: 'push';
  workerId: string;
  step: number;
  baseVersion: number;
  samples: number;
  loss: number;
  computeMs?: number;
  /** Absent only with sharded servers: the gradient went to the shards, slice by slice (see Welcome.shards). */
  grad?: EncodedTensor;
}

export type AckStatus = 'applied' | 'duplicate' | 'stale' | 'dropped' | 'rejected';

/** Server → worker: what became of the push for `step`; `version` is the server's current weights version. */
export interface Ack extends Versioned {
  type: 'ack';
  step: number;
  status: AckStatus;
  version: number;
  code?: string;
}

export type ControlMessage = Join | Welcome | Assign | Work | Heartbeat | Leave | ErrorMessage | Done;
export type DataMessage = Weights | Push | Ack;
export type Message = ControlMessage | DataMessage | ShardMessage;
export type MessageType = Message['type'];

export const CONTROL_MESSAGE_TYPES = Object.freeze([
  'join',
  'welcome',
  'assign',
  'work',
  'heartbeat',
  'leave',
  'error',
  'done',
] as const satisfies readonly ControlMessage['type'][]);
export const DATA_MESSAGE_TYPES = Object.freeze(['weights', 'push', 'ack'] as const satisfies readonly DataMessage['type'][]);
export const MESSAGE_TYPES: readonly MessageType[] = Object.freeze([...CONTROL_MESSAGE_TYPES, ...DATA_MESSAGE_TYPES, ...SHARD_MESSAGE_TYPES]);
