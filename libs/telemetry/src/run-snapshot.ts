import type { EvaluationReport } from '@dtrain/training';

/**
 * What a viewer sees of a run. These shapes go over the wire to the dashboard (SSE, /api/snapshot)
 * and into the history file, so their field names are part of the format: rename nothing lightly.
 */

/** Fixed facts of a run, known once the server is up. */
export interface RunInfo {
  runId: string;
  /** bsp | asp | ssp, or `single` for `dtrain train`. */
  mode: string;
  compression: string;
  dataset: string;
  model: string;
  backend: string;
  epochs: number;
  /** Per-worker batch size. */
  batchSize: number;
  /** Workers the run waits for before the first step. */
  workers: number;
  /** Training samples one epoch goes through (the ETA is computed from it). */
  samplesPerEpoch: number;
  classNames: string[];
  /** Wall-clock start, ms since the epoch. */
  startedAt: number;
}

/** One applied update. `t` is ms since the monitor started. */
export interface StepPoint {
  step: number;
  epoch: number;
  t: number;
  loss: number;
  samples: number;
  stepMs: number;
}

/** The evaluation at the end of an epoch (1-based `epoch`), placed at the update count `step`. */
export interface EpochPoint {
  epoch: number;
  step: number;
  t: number;
  testAccuracy: number;
  testLoss: number | null;
  /** Mean of the per-update training losses of this epoch (sample-weighted). */
  trainLoss: number | null;
  /** Accuracy / loss on a fixed training subset, when the run evaluates one. */
  trainAccuracy: number | null;
  trainEvalLoss: number | null;
  macroF1: number;
}

export interface WorkerRow {
  id: string;
  state: string;
  backend: string;
  /** Updates of this worker applied so far. */
  step: number;
  samples: number;
  samplesPerSec: number;
  /** ms since the server last heard from it. */
  lastSeenMsAgo: number;
  bytesIn: number;
  bytesOut: number;
  lastStaleness: number;
  maxStaleness: number;
  dropped: number;
  rejected: number;
  lastStepMs: number;
  /** Samples of its last batch: its share of the step. */
  batch: number;
}

export interface RunStatus {
  state: string;
  /** 1-based epoch in progress (or the last one, once finished). */
  epoch: number;
  epochs: number;
  steps: number;
  version: number;
  samples: number;
  elapsedMs: number;
  /** Over the recent window; 0 before two steps are in. */
  samplesPerSec: number;
  /** Seconds to the end of training at the current throughput; null when unknown. */
  etaSec: number | null;
  activeWorkers: number;
  /** Members not in the worker table (past its row cap). */
  omittedWorkers: number;
  bytesIn: number;
  bytesOut: number;
  droppedPushes: number;
  stalePushes: number;
  rejectedFrames: Record<string, number>;
  lastLoss: number | null;
}

/** The latest evaluation with per-class metrics and the confusion matrix; `final` once the run is over. */
export interface EvaluationView {
  epoch: number;
  final: boolean;
  report: EvaluationReport;
  classNames: string[];
  /** The per-class table and confusion heat map, rendered once here so the page and the report agree. */
  html: string;
  summary?: Record<string, unknown>;
}

export interface RunSnapshot {
  info: RunInfo;
  status: RunStatus;
  steps: StepPoint[];
  epochs: EpochPoint[];
  workers: WorkerRow[];
  evaluation: EvaluationView | null;
}
