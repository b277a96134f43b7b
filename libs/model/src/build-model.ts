import * as tf from '@tensorflow/tfjs';
import { createRng, mixSeed } from '@dtrain/common';
import { rememberConfig } from './config-registry';
import type { ActivationName, ModelConfig } from './model-config';
import { MODEL_INPUT } from './model-config';
import { validateModelConfig } from './validate-model-config';
import { ModelError } from './model-error';
import { countParameters } from './parameter-count';
import type { LayerPlan } from './layer-plan';
import { planLayers } from './layer-plan';
import { setFlatWeights, weightManifest } from './weight-manifest';

/** Seed used when the caller gives none, so an unseeded build is still reproducible. */
const DEFAULT_SEED = 42;

type Spec = ModelConfig['layers'][number];

/** TF.js's name for an activation ('relu6' is its own there too). */
const act = (a: ActivationName | undefined): string => a ?? 'linear';

/** The TF.js layer for a spec; kernels start at zero (buildModel writes the seeded initial weights). */
function toLayer(spec: Spec, plan: LayerPlan, inputShape?: [number, number, number]): tf.layers.Layer {
  const base = { name: spec.name, ...(inputShape ? { inputShape } : {}) };
  switch (spec.kind) {
    case 'conv2d':
      return tf.layers.conv2d({ ...base, filters: spec.filters, kernelSize: spec.kernelSize, strides: spec.strides ?? 1, padding: spec.padding ?? 'valid', activation: act(spec.activation) as 'linear', useBias: spec.useBias ?? true, kernelInitializer: 'zeros' });
    case 'depthwiseConv2d':
      return tf.layers.depthwiseConv2d({ ...base, kernelSize: spec.kernelSize, depthMultiplier: spec.depthMultiplier ?? 1, strides: spec.strides ?? 1, padding: spec.padding ?? 'valid', activation: act(spec.activation) as 'linear', useBias: spec.useBias ?? true, depthwiseInitializer: 'zeros' });
    case 'separableConv2d':
      return tf.layers.separableConv2d({ ...base, filters: spec.filters, kernelSize: spec.kernelSize, depthMultiplier: spec.depthMultiplier ?? 1, strides: spec.strides ?? 1, padding: spec.padding ?? 'valid', activation: act(spec.activation) as 'linear', useBias: spec.useBias ?? true, depthwiseInitializer: 'zeros', pointwiseInitializer: 'zeros' });
    case 'batchNorm':
      return tf.layers.batchNormalization({ ...base, axis: -1, momentum: spec.momentum ?? 0.99, epsilon: spec.epsilon ?? 1e-3, center: spec.center ?? true, scale: spec.scale ?? true });
    case 'maxPool2d':
      return tf.layers.maxPooling2d({ ...base, poolSize: spec.poolSize, strides: spec.strides ?? spec.poolSize, padding: spec.padding ?? 'valid' });
    case 'avgPool2d':
      return tf.layers.averagePooling2d({ ...base, poolSize: spec.poolSize, strides: spec.strides ?? spec.poolSize, padding: spec.padding ?? 'valid' });
    case 'globalAvgPool2d':
      return tf.layers.globalAveragePooling2d(base);
    case 'globalMaxPool2d':
      return tf.layers.globalMaxPooling2d(base);
    case 'zeroPadding2d':
      return tf.layers.zeroPadding2d({ ...base, padding: spec.padding });
    case 'activation':
      return tf.layers.activation({ ...base, activation: spec.activation as 'linear' });
    case 'add':
      return tf.layers.add(base);
    case 'concatenate':
      return tf.layers.concatenate({ ...base, axis: -1 });
    case 'flatten':
      return tf.layers.flatten(base);
    case 'reshape':
      // TF.js cannot infer a -1 dimension symbolically (a Flatten after it fails): the plan resolves it.
      return tf.layers.reshape({ ...base, targetShape: plan.shapes.get(spec.name) as number[] });
    case 'dense':
      return tf.layers.dense({ ...base, units: spec.units, activation: act(spec.activation) as 'linear', useBias: spec.useBias ?? true, kernelInitializer: 'zeros' });
    case 'dropout':
      return tf.layers.dropout({ ...base, rate: spec.rate });
  }
}

/** A plain list of layers (no `inputs` anywhere): built as a Sequential model, as Keras would. */
export function isSequentialConfig(c: ModelConfig): boolean {
  return c.layers.every((l) => l.inputs === undefined);
}

/** The graph of a config with `inputs`, as a functional LayersModel. */
function functionalModel(c: ModelConfig, plan: LayerPlan, name: string): tf.LayersModel {
  const input = tf.input({ shape: [...c.inputShape], name: uniqueInputName(c) });
  const outputs = new Map<string, tf.SymbolicTensor>([[MODEL_INPUT, input]]);
  c.layers.forEach((l, i) => {
    const from = (l.inputs ?? [i === 0 ? MODEL_INPUT : (c.layers[i - 1] as Spec).name]).map((n) => outputs.get(n) as tf.SymbolicTensor);
    outputs.set(l.name, toLayer(l, plan).apply(from.length === 1 ? (from[0] as tf.SymbolicTensor) : from) as tf.SymbolicTensor);
  });
  return tf.model({ name, inputs: input, outputs: outputs.get((c.layers[c.layers.length - 1] as Spec).name) as tf.SymbolicTensor });
}

/** TF.js's input layer needs a name no layer has. */
function uniqueInputName(c: ModelConfig): string {
  const names = new Set(c.layers.map((l) => l.name));
  let n = 'input_1';
  for (let i = 2; names.has(n); i++) n = `input_${i}`;
  return n;
}

/** Initial value of a weight by its role: batch norm's scale and variance start at 1, biases, shifts and means at 0. */
function startsAtOne(weightName: string): boolean {
  return /\/(gamma|moving_variance)$/.test(weightName);
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
 * Builds the LayersModel for a config (Sequential for a plain list, functional for a graph). Initial weights come from our own seeded RNG (Glorot-uniform
 * kernels, zero biases) rather than TF.js initialisers, so the same seed gives bit-identical weights
 * on every backend and in every process.
 */
export function buildModel(cfg: ModelConfig, opts: { seed?: number; maxParameters?: number } = {}): tf.LayersModel {
  const config = checkModelSize(cfg, opts.maxParameters);
  const name = config.name.replace(/[^A-Za-z0-9_]/g, '_');
  const plan = planLayers(config);
  let model: tf.LayersModel;
  if (isSequentialConfig(config)) {
    const seq = tf.sequential({ name });
    config.layers.forEach((spec, i) => seq.add(toLayer(spec, plan, i === 0 ? config.inputShape : undefined)));
    model = seq;
  } else {
    model = functionalModel(config, plan, name);
  }
  const manifest = weightManifest(model);
  const flat = new Float32Array(manifest.totalSize);
  const seed = opts.seed ?? DEFAULT_SEED;
  manifest.entries.forEach((e, i) => {
    if (startsAtOne(e.name)) flat.fill(1, e.offset, e.offset + e.size);
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
