import type { EvaluationReport } from '@dtrain/training';
import type { Member } from './member';
import type { EpochCoverage } from './sample-coverage';

export interface StepEvent {
  step: number;
  version: number;
  loss: number;
  samples: number;
  stepMs: number;
  epoch: number;
}

export interface AppliedPush {
  workerId: string;
  step: number;
  baseVersion: number;
  staleness: number;
  /** Samples in the applied batch (the server's count, not the worker's claim). */
  samples: number;
  /** 0-based epoch the batch belongs to. */
  epoch: number;
  /** From handing out the work to receiving the push (the worker's step time as the server sees it). */
  stepMs: number;
}

/** Counters of a run. */
export interface RunTotals {
  steps: number;
  samples: number;
  bytesIn: number;
  bytesOut: number;
  gradientBytes: number;
  weightBytes: number;
  droppedPushes: number;
  stalePushes: number;
  duplicatePushes: number;
  rejectedFrames: Record<string, number>;
  /** Gradients applied (or taken into a BSP step's mean) in the whole run. */
  appliedPushes: number;
  /** The newest applied pushes (bounded: see RunAccounting); with `appliedPushes`, nothing was applied twice. */
  appliedLog: AppliedPush[];
  /** The largest staleness of an applied push. */
  maxStaleness: number;
  /** One entry per finished epoch: were all its samples applied exactly once? */
  coverage: EpochCoverage[];
  trainMs: number;
  aggregateMs: number;
  applyMs: number;
  /** Server time decoding and validating push frames. */
  decodeMs: number;
  /** Server time building weights frames. */
  encodeMs: number;
  /** The first update of this server process: worker start-up (dataset, model, kernel set-up), not training speed. */
  warmupMs: number;
  warmupSamples: number;
  lastLoss: number;
  epochsDone: number;
  startedAt: number;
}

/** The totals of a run that has not started: every counter zero, no loss yet. */
export function emptyRunTotals(): RunTotals {
  return {
    steps: 0,
    samples: 0,
    bytesIn: 0,
    bytesOut: 0,
    gradientBytes: 0,
    weightBytes: 0,
    droppedPushes: 0,
    stalePushes: 0,
    duplicatePushes: 0,
    rejectedFrames: {},
    appliedPushes: 0,
    appliedLog: [],
    maxStaleness: 0,
    coverage: [],
    trainMs: 0,
    aggregateMs: 0,
    applyMs: 0,
    decodeMs: 0,
    encodeMs: 0,
    warmupMs: 0,
    warmupSamples: 0,
    lastLoss: NaN,
    epochsDone: 0,
    startedAt: 0,
  };
}

/** Hooks for observers (dashboard, metrics, history); all optional and synchronous. */
export interface CoordinatorEvents {
  stepCompleted(e: StepEvent): void;
  epochStarted(epoch: number): void;
  epochCompleted(epoch: number, report: EvaluationReport): void;
  memberChanged(m: Member, change: 'joined' | 'lost' | 'left'): void;
  pushDropped(m: Member): void;
  frameRejected(code: string): void;
  checkpointed(step: number, version: number): void;
}
