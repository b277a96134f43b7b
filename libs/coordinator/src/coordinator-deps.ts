import type { Clock, Logger } from '@dtrain/common';
import type { TrainableLayout } from '@dtrain/model';
import type { ModelManifest } from '@dtrain/protocol';
import type { EvaluationReport } from '@dtrain/training';
import type { CheckpointState } from './checkpoint-state';
import type { CoordinatorEvents } from './coordinator-events';
import type { ParameterStore } from './parameter-store';
import type { ShardPlane } from './shard-plane';
import type { ServerOptions } from './server-options';

export type CoordinatorState = 'waiting' | 'training' | 'evaluating' | 'finished';

export interface TrainingData {
  /** Global indices of the training samples this run uses. */
  indices: Uint32Array;
  labels: Uint8Array;
  numClasses: number;
}

export interface CoordinatorDeps {
  options: ServerOptions;
  clock: Clock;
  log: Logger;
  store: ParameterStore;
  runId: string;
  model: unknown;
  manifest: ModelManifest;
  /**
   * With frozen layers: the weights that train, which is all a push needs to carry (full pushes are
   * taken too) and, to workers that take it, all a weights frame after their first one carries.
   */
  pushLayout?: TrainableLayout;
  data: TrainingData;
  /** Evaluates the current weights on the test split (runs between steps). */
  evaluate: (weights: Float32Array) => Promise<EvaluationReport>;
  events?: Partial<CoordinatorEvents>;
  /** Persist a checkpoint; called between steps, never concurrently. */
  checkpoint?: (state: CheckpointState) => Promise<void>;
  restored?: CheckpointState;
  /**
   * Sharded parameter servers: the weights and optimizer state live on these shards, and `store`
   * holds the version and a replica gathered for evaluation, checkpoints and the saved model.
   */
  shards?: ShardPlane;
}
