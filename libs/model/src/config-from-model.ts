import type * as tf from '@tensorflow/tfjs';
import { configFromTopology } from './config-from-topology';
import type { ModelConfig } from './model-config';

type Json = Record<string, unknown>;

/**
 * The model's topology with what TF.js leaves out of it put back: SeparableConv2D.getConfig (tfjs
 * 4.22) omits depth_multiplier, so a separable conv with a multiplier above 1 would come back with 1
 * and weights of the wrong shape (stock tf.loadLayersModel then fails). Its constructor reads the
 * field, so writing it makes the file load anywhere. Mutates and returns `topology`.
 */
export function completeTopology<T>(model: tf.LayersModel, topology: T): T {
  const layers = (topology as { model_config?: { config?: { layers?: unknown } }; config?: { layers?: unknown } } | null) ?? {};
  const list = (layers.model_config?.config?.layers ?? layers.config?.layers) as Json[] | undefined;
  if (!Array.isArray(list)) return topology;
  for (const raw of list) {
    const c = raw['config'] as Json | undefined;
    if (raw['class_name'] !== 'SeparableConv2D' || !c || c['depth_multiplier'] !== undefined) continue;
    const layer = model.layers.find((l) => l.name === c['name']) as unknown as { depthMultiplier?: number } | undefined;
    if (layer?.depthMultiplier !== undefined) c['depth_multiplier'] = layer.depthMultiplier;
  }
  return topology;
}

/**
 * Recovers a ModelConfig from a built LayersModel (e.g. one saved by stock tf.LayersModel.save):
 * its own topology JSON, read as any model.json's is.
 */
export function configFromModel(model: tf.LayersModel): ModelConfig {
  return configFromTopology(completeTopology(model, model.toJSON(undefined, false)));
}
