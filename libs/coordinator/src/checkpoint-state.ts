import type { EvaluationReport } from '@dtrain/training';
import type { EpochPlanSnapshot } from './epoch-plan';
import type { ParameterStoreState } from './parameter-store';

/** Everything a server needs to continue a run where it stopped. */
export interface CheckpointState {
  runId: string;
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
  seed: number;
  report: EvaluationReport | undefined;
  /** Training time so far (evaluation excluded), so throughput stays honest across restarts. */
  trainMs?: number;
}
