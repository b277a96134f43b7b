import type { AdamOptions } from './adam';
import { createAdam } from './adam';
import type { Optimizer, OptimizerState } from './optimizer';
import type { SgdOptions } from './sgd';
import { createSgd } from './sgd';
import { TrainingError } from './training-error';

/** A serialisable optimizer choice (CLI flags, run config, checkpoints). */
export type OptimizerSpec = ({ kind: 'adam' } & AdamOptions) | ({ kind: 'sgd' } & SgdOptions);

/**
 * The optimizer a spec names, optionally continuing from a checkpointed state. The spec may come
 * from untrusted JSON: an unknown kind or a bad hyper-parameter throws TRAIN_ERR_BAD_OPTIMIZER.
 */
export function createOptimizer(spec: OptimizerSpec, size: number, state?: OptimizerState): Optimizer {
  const kind = (spec as { kind?: unknown } | null)?.kind;
  if (kind === 'adam') return createAdam(size, spec, state);
  if (kind === 'sgd') return createSgd(size, spec, state);
  throw new TrainingError('TRAIN_ERR_BAD_OPTIMIZER', `unknown optimizer kind '${String(kind)}'`, { kind });
}
