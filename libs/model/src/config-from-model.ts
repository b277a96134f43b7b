import type * as tf from '@tensorflow/tfjs';
import { configFromTopology } from './config-from-topology';
import type { ModelConfig } from './model-config';

/**
 * Recovers a ModelConfig from a built Sequential LayersModel (e.g. one saved by stock
 * tf.LayersModel.save): its own topology JSON, read as any model.json's is.
 */
export function configFromModel(model: tf.LayersModel): ModelConfig {
  return configFromTopology(model.toJSON(undefined, false));
}
