import * as tf from '@tensorflow/tfjs';
import { createRng, mixSeed } from '@dtrain/common';
import { rememberConfig } from './config-registry';
import type { ModelConfig } from './model-config';
import { validateModelConfig } from './validate-model-config';
import { ModelError } from './model-error';
import { countParameters } from './parameter-count';
import { setFlatWeights, weightManifest } from './weight-manifest';

/** Seed used when the caller gives none, so an unseeded build is still reproducible. */
const DEFAULT_SEED = 42;

function toLayer(spec: ModelConfig['layers'][number], inputShape?: [number, number, number]): tf.layers.Layer {
  const first = inputShape ? { inputShape } : {};
  switch (spec.kind) {
    case 'conv2d':
      return tf.layers.conv2d({
        ...first,
        name: spec.name,
        filters: spec.filters,
        kernelSize: spec.kernelSize,
        strides: spec.strides ?? 1,
        padding: spec.padding ?? 'valid',
        activation: spec.activation ?? 'linear',
        kernelInitializer: 'zeros',
      });
    case 'maxPool2d':
      return tf.layers.maxPooling2d({ ...first, name: spec.name, poolSize: spec.poolSize, strides: spec.strides ?? spec.poolSize });
    case 'flatten':
      return tf.layers.flatten({ ...first, name: spec.name });
    case 'dense':
      return tf.layers.dense({ ...first, name: spec.name, units: spec.units, activation: spec.activation ?? 'linear', kernelInitializer: 'zeros' });
    case 'dropout':
      return tf.layers.dropout({ ...first, name: spec.name, rate: spec.rate });
  }
}

/** Weights a model may have (200 MB in fp32; far above what a 64 MiB frame carries uncompressed). */
export const MAX_MODEL_PARAMETERS = 50_000_000;

/**
 * Validates a config and counts its weights from the shapes, before TF.js allocates anything: an
 * absurd config is refused with MODEL_ERR_BAD_CONFIG, not built. Returns the validated config.
 */
export function checkModelSize(cfg: unknown, maxParameters = MAX_MODEL_PARAMETERS): ModelConfig {
  const config = validateModelConfig(cfg);
  const size = countParameters(config);
  if (size > maxParameters) throw new ModelError('MODEL_ERR_BAD_CONFIG', `the model would have ${size} weights, more than ${maxParameters}`, { parameters: size, limit: maxParameters });
  return config;
}

/**
 * Builds the LayersModel for a config. Initial weights come from our own seeded RNG (Glorot-uniform
 * kernels, zero biases) rather than TF.js initialisers, so the same seed gives bit-identical weights
 * on every backend and in every process.
 */
export function buildModel(cfg: ModelConfig, opts: { seed?: number; maxParameters?: number } = {}): tf.LayersModel {
  const config = checkModelSize(cfg, opts.maxParameters);
  const model = tf.sequential({ name: config.name.replace(/[^A-Za-z0-9_]/g, '_') });
  config.layers.forEach((spec, i) => model.add(toLayer(spec, i === 0 ? config.inputShape : undefined)));
  const manifest = weightManifest(model);
  const flat = new Float32Array(manifest.totalSize);
  const seed = opts.seed ?? DEFAULT_SEED;
  manifest.entries.forEach((e, i) => {
    if (e.shape.length < 2) return; // biases start at zero
    const rng = createRng(mixSeed(seed, i));
    const fanOut = e.shape[e.shape.length - 1] as number;
    const receptive = e.shape.slice(0, -2).reduce((a, b) => a * b, 1);
    const fanIn = (e.shape[e.shape.length - 2] as number) * receptive;
    const limit = Math.sqrt(6 / (fanIn + fanOut * receptive));
    for (let j = 0; j < e.size; j++) flat[e.offset + j] = (rng.next() * 2 - 1) * limit;
  });
  setFlatWeights(model, flat);
  rememberConfig(model, config);
  return model;
}
