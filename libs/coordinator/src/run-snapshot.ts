import type { Clock } from '@dtrain/common';
import type { EvaluationReport } from '@dtrain/training';
import type { CheckpointState } from './checkpoint-state';
import type { Checkpointer } from './checkpointer';
import { checkRestorable } from './checkpointer';
import type { RunTotals } from './coordinator-events';
import { EpochPlan } from './epoch-plan';
import type { Membership } from './membership';
import type { Outbox } from './outbox';
import type { ParameterStore } from './parameter-store';
import type { PushLedger } from './push-ledger';
import type { SampleCoverage } from './sample-coverage';
import type { SyncPolicy } from './sync-policy';

/** The coordinator's parts a checkpoint is made of. */
export interface RunParts {
  runId: string;
  seed: number;
  clock: Clock;
  store: ParameterStore;
  outbox: Outbox;
  totals: RunTotals;
  ledger: PushLedger;
  coverage: SampleCoverage;
  membership: Membership;
  policy: SyncPolicy;
  checkpoints: Checkpointer;
}

/** Where the epoch loop stands (the coordinator's own fields). */
export interface LoopPosition {
  epoch: number;
  plan: EpochPlan | undefined;
  report: EvaluationReport | undefined;
  /** Training is under way (its time since `totals.startedAt` counts). */
  training: boolean;
}

/** Everything needed to continue: weights, optimizer, position in the epoch (with unfinished batches put back). */
export function captureRunState(p: RunParts, at: LoopPosition): CheckpointState {
  const plan = at.plan ? EpochPlan.restore(at.plan.snapshot()) : undefined;
  if (plan) {
    for (const m of p.membership.active()) if (m.inflight && !m.inflight.cancelled) p.policy.putBack(plan, m, m.inflight.indices);
    for (const chunk of p.policy.unapplied()) plan.carry(chunk);
  }
  const t = p.totals;
  return {
    runId: p.runId,
    epoch: at.epoch,
    step: p.outbox.step,
    updates: t.steps,
    samples: t.samples,
    version: p.store.version,
    store: p.store.snapshot(),
    plan: plan?.snapshot(),
    members: p.membership.active().map((m) => ({ workerId: m.workerId, clock: m.clock })),
    applied: p.ledger.snapshot(),
    appliedPushes: t.appliedPushes,
    maxStaleness: t.maxStaleness,
    appliedLog: t.appliedLog.slice(),
    coverage: p.coverage.snapshot(),
    coverageLog: t.coverage.slice(),
    seed: p.seed,
    report: at.report,
    trainMs: t.trainMs + (at.training && t.startedAt ? p.clock.monotonic() - t.startedAt : 0),
  };
}

/** Puts a checkpoint back into the parts (refused with a coded error if it is not this run's shape). */
export function restoreRunState(p: RunParts, s: CheckpointState): LoopPosition {
  checkRestorable(s, { weights: p.store.size, seed: p.seed, sampleSlots: p.coverage.snapshot().counts.length });
  const t = p.totals;
  p.store.restore(s.store);
  t.epochsDone = s.epoch;
  t.appliedLog.push(...(s.appliedLog ?? []));
  t.appliedPushes = s.appliedPushes ?? t.appliedLog.length;
  t.maxStaleness = s.maxStaleness ?? t.appliedLog.reduce((x, a) => Math.max(x, a.staleness), 0);
  if (s.coverage) p.coverage.restore(s.coverage);
  t.coverage.push(...(s.coverageLog ?? []));
  p.outbox.step = s.step;
  t.steps = s.updates;
  t.samples = s.samples;
  t.trainMs = s.trainMs ?? 0;
  p.checkpoints.resumedAt(s.updates);
  p.ledger.restore(s.applied);
  return { epoch: s.epoch, plan: s.plan ? EpochPlan.restore(s.plan) : undefined, report: s.report, training: false };
}
