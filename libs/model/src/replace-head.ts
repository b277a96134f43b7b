import type * as tf from '@tensorflow/tfjs';
import { buildModel } from './build-model';
import { configFromModel } from './config-from-model';
import { recalledConfig } from './config-registry';
import type { ModelConfig } from './model-config';
import { ModelError } from './model-error';
import { validateModelConfig } from './validate-model-config';
import { getFlatWeights, setFlatWeights, weightManifest } from './weight-manifest';

/** The classification head: the last layer, which validateModelConfig guarantees is a dense layer. */
export function headLayerName(cfg: ModelConfig): string {
  const last = cfg.layers[cfg.layers.length - 1];
  if (!last) throw new ModelError('MODEL_ERR_BAD_CONFIG', 'the model has no layers');
  return last.name;
}

/**
 * A new model equal to `model` except for its classification head, which gets `numClasses` units
 * and fresh seeded Glorot weights (zero bias), as buildModel would give a new model. Every other
 * weight is copied. `model` is left as it was; the caller disposes both. For fine-tuning on a
 * dataset with other classes. Throws MODEL_ERR_BAD_CONFIG for numClasses < 2.
 */
export function replaceHead(model: tf.LayersModel, numClasses: number, opts: { seed?: number } = {}): { model: tf.LayersModel; config: ModelConfig } {
  const source = recalledConfig(model) ?? configFromModel(model);
  const head = headLayerName(source);
  const layers = source.layers.map((l) => (l.name === head && l.kind === 'dense' ? { ...l, units: numClasses } : l));
  const config = validateModelConfig({ ...source, numClasses, layers });
  const fresh = buildModel(config, opts);
  const from = weightManifest(model);
  const fromFlat = getFlatWeights(model);
  const byName = new Map(from.entries.map((e) => [e.name, e]));
  const flat = getFlatWeights(fresh);
  for (const e of weightManifest(fresh).entries) {
    if (e.name.split('/')[0] === head) continue;
    const src = byName.get(e.name);
    if (!src || src.size !== e.size) throw new ModelError('MODEL_ERR_SIZE_MISMATCH', `weight ${e.name} has no counterpart of ${e.size} elements in the source model`, { name: e.name });
    flat.set(fromFlat.subarray(src.offset, src.offset + src.size), e.offset);
  }
  setFlatWeights(fresh, flat);
  return { model: fresh, config };
}
