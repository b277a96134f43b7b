import type { EvaluationReport } from '@dtrain/training';
import type { Member } from './member';

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
  samples: number;
}

/** Counters of a run; `appliedLog` proves no gradient was applied twice. */
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
  appliedLog: AppliedPush[];
  trainMs: number;
  aggregateMs: number;
  applyMs: number;
  lastLoss: number;
  epochsDone: number;
  startedAt: number;
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
