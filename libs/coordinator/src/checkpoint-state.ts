import type { EvaluationReport } from '@dtrain/training';
import type { AppliedPush } from './coordinator-events';
import type { EpochPlanSnapshot } from './epoch-plan';
import type { EpochCoverage } from './sample-coverage';
import type { ParameterStoreState } from './parameter-store';

/** Everything a server needs to continue a run where it stopped. */
export interface CheckpointState {
  runId: string;
  /** The epoch in progress; with `plan` undefined, the next epoch to start from its beginning. */
  epoch: number;
  /** Next work/step number to hand out. */
  step: number;
  /** Optimizer updates applied so far. */
  updates: number;
  samples: number;
  version: number;
  store: ParameterStoreState;
  /** Position inside the epoch: the samples each member still had (unfinished batches included). */
  plan: EpochPlanSnapshot | undefined;
  members: { workerId: string; clock: number }[];
  /** (worker, step) keys of applied pushes, so a replay after resume is still recognised. */
  applied: string[];
  /** Pushes applied so far (the log below may hold only the newest of them). */
  appliedPushes?: number;
  /** The largest staleness of any applied push so far, trimmed entries included. */
  maxStaleness?: number;
  /** The applied-push log so far, so the log written at the end covers the whole run across restarts. */
  appliedLog?: AppliedPush[];
  /** Per-sample apply counts of the current epoch (see SampleCoverage). */
  coverage?: { counts: Float32Array; applied: number };
  /** Coverage of the epochs already finished. */
  coverageLog?: EpochCoverage[];
  seed: number;
  report: EvaluationReport | undefined;
  /** Training time so far (evaluation excluded), so throughput stays honest across restarts. */
  trainMs?: number;
  /** Written once at the end of a run: resuming from it trains nothing and reports the result. */
  finished?: boolean;
}
