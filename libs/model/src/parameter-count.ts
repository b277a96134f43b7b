import type { ModelConfig } from './model-config';
import { planLayers } from './layer-plan';
import { validateModelConfig } from './validate-model-config';

/**
 * Number of weights (the flat tensor length: trained weights and batch-norm state) a config builds,
 * from shape arithmetic alone: no TF.js, no model. Lets callers that hold only a config (a run
 * summary, a server planning frame sizes) know the fp32 size of the weights. Throws
 * MODEL_ERR_BAD_CONFIG for an invalid config.
 */
export function parameterCount(cfg: ModelConfig): number {
  return countParameters(validateModelConfig(cfg));
}

/** The count for a config already validated; throws MODEL_ERR_BAD_CONFIG when a layer's output would be empty. */
export function countParameters(c: ModelConfig): number {
  const plan = planLayers(c);
  return plan.trainable + plan.state;
}
