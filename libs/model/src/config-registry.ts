import type * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from './model-config';

/** The exact config a model was built or loaded from, so saving does not re-derive (and normalise) it. */
const configs = new WeakMap<tf.LayersModel, ModelConfig>();

export function rememberConfig(model: tf.LayersModel, cfg: ModelConfig): void {
  configs.set(model, cfg);
}

export function recalledConfig(model: tf.LayersModel): ModelConfig | undefined {
  return configs.get(model);
}
