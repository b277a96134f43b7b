import type { ActivationName, LayerSpec, ModelConfig, Padding, Size2 } from './model-config';
import { MODEL_INPUT } from './model-config';
import { ModelError } from './model-error';
import { planLayers } from './layer-plan';

/** Upper bound on any single dimension in a config; guards against absurd allocations from untrusted JSON. */
const MAX_DIM = 1 << 16;
/** Layers a config may have (a ResNet-152 has ~500 including activations). */
const MAX_LAYERS = 2_000;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPosInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0 && (v as number) <= MAX_DIM;
const isNonNegInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= MAX_DIM;

function bad(message: string, details?: Record<string, unknown>): never {
  throw new ModelError('MODEL_ERR_BAD_CONFIG', message, details);
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], where: string): T | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) bad(`${where} must be one of ${allowed.join(', ')}`);
  return v as T;
}

const ACTIVATIONS: readonly ActivationName[] = ['relu', 'relu6', 'linear', 'sigmoid', 'tanh', 'elu', 'softmax'];
const PADDINGS: readonly Padding[] = ['valid', 'same'];

function size2(v: unknown, where: string): Size2 {
  if (isPosInt(v)) return v;
  if (Array.isArray(v) && v.length === 2 && isPosInt(v[0]) && isPosInt(v[1])) return [v[0], v[1]];
  return bad(`${where} must be a positive integer or [height, width]`);
}

function optSize2(v: unknown, where: string): Size2 | undefined {
  return v === undefined ? undefined : size2(v, where);
}

function optBool(v: unknown, where: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') bad(`${where} must be true or false`);
  return v;
}

function optNumber(v: unknown, where: string, lo: number, hi: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !(v >= lo && v <= hi)) bad(`${where} must be a number in [${lo}, ${hi}]`);
  return v;
}

/** Copies the optional fields that are set (so a clean config has no `undefined` keys). */
function withOptional<T extends object>(spec: T, optional: Record<string, unknown>): T {
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) (spec as Record<string, unknown>)[k] = v;
  return spec;
}

function validateLayer(l: unknown, i: number): LayerSpec {
  if (!isObj(l)) bad(`layers[${i}] must be an object`);
  const where = `layers[${i}]`;
  if (typeof l.name !== 'string' || l.name.length === 0 || l.name.length > 128) bad(`${where}.name must be a non-empty string (at most 128 characters)`);
  if (l.name === MODEL_INPUT) bad(`${where}.name '${MODEL_INPUT}' is reserved for the model's input`);
  const name = l.name;
  let inputs: string[] | undefined;
  if (l.inputs !== undefined) {
    if (!Array.isArray(l.inputs) || l.inputs.length === 0 || !l.inputs.every((x) => typeof x === 'string')) bad(`${where}.inputs must be a non-empty array of layer names`);
    inputs = [...(l.inputs as string[])];
  }
  const conv = (): Record<string, unknown> => ({
    strides: optSize2(l.strides, `${where}.strides`),
    padding: oneOf(l.padding, PADDINGS, `${where}.padding`),
    activation: oneOf(l.activation, ACTIVATIONS, `${where}.activation`),
    useBias: optBool(l.useBias, `${where}.useBias`),
  });
  const multiplier = (): number | undefined => {
    if (l.depthMultiplier === undefined) return undefined;
    if (!isPosInt(l.depthMultiplier)) bad(`${where}.depthMultiplier must be a positive integer`);
    return l.depthMultiplier;
  };
  const pool = (): { poolSize: Size2; strides?: Size2; padding?: Padding } =>
    withOptional({ poolSize: size2(l.poolSize, `${where}.poolSize`) }, { strides: optSize2(l.strides, `${where}.strides`), padding: oneOf(l.padding, PADDINGS, `${where}.padding`) });
  let spec: LayerSpec;
  switch (l.kind) {
    case 'conv2d':
      if (!isPosInt(l.filters)) bad(`${where}.filters must be a positive integer`);
      spec = withOptional({ kind: 'conv2d', name, filters: l.filters, kernelSize: size2(l.kernelSize, `${where}.kernelSize`) }, conv());
      break;
    case 'depthwiseConv2d':
      spec = withOptional({ kind: 'depthwiseConv2d', name, kernelSize: size2(l.kernelSize, `${where}.kernelSize`) }, { ...conv(), depthMultiplier: multiplier() });
      break;
    case 'separableConv2d':
      if (!isPosInt(l.filters)) bad(`${where}.filters must be a positive integer`);
      spec = withOptional({ kind: 'separableConv2d', name, filters: l.filters, kernelSize: size2(l.kernelSize, `${where}.kernelSize`) }, { ...conv(), depthMultiplier: multiplier() });
      break;
    case 'batchNorm':
      // TF.js 4.22's engine and tape read both inputs in FusedBatchNorm's backward pass and fail without them.
      if (l.scale === false || l.center === false) bad(`${where}: batch norm without its scale or offset (scale/center: false) cannot be trained with TF.js 4.22, whose gradient needs both`, { layer: name });
      spec = withOptional(
        { kind: 'batchNorm', name },
        { momentum: optNumber(l.momentum, `${where}.momentum`, 0, 1), epsilon: optNumber(l.epsilon, `${where}.epsilon`, 1e-12, 1), center: optBool(l.center, `${where}.center`), scale: optBool(l.scale, `${where}.scale`) },
      );
      break;
    case 'maxPool2d':
      spec = { kind: 'maxPool2d', name, ...pool() };
      break;
    case 'avgPool2d':
      spec = { kind: 'avgPool2d', name, ...pool() };
      break;
    case 'globalAvgPool2d':
    case 'globalMaxPool2d':
    case 'add':
    case 'concatenate':
    case 'flatten':
      spec = { kind: l.kind, name };
      break;
    case 'zeroPadding2d': {
      const p = l.padding;
      const ok = Array.isArray(p) && p.length === 2 && p.every((r) => Array.isArray(r) && r.length === 2 && r.every(isNonNegInt));
      if (!ok) bad(`${where}.padding must be [[top, bottom], [left, right]] of non-negative integers`);
      const [[t, b], [le, r]] = p as [[number, number], [number, number]];
      spec = { kind: 'zeroPadding2d', name, padding: [[t, b], [le, r]] };
      break;
    }
    case 'activation': {
      const activation = oneOf(l.activation, ACTIVATIONS, `${where}.activation`);
      if (!activation) bad(`${where}.activation is required`);
      spec = { kind: 'activation', name, activation };
      break;
    }
    case 'reshape': {
      const t = l.targetShape;
      if (!Array.isArray(t) || t.length === 0 || t.length > 4 || !t.every((d) => isPosInt(d) || d === -1) || t.filter((d) => d === -1).length > 1)
        bad(`${where}.targetShape must be 1 to 4 positive integers, at most one of them -1`);
      spec = { kind: 'reshape', name, targetShape: [...(t as number[])] };
      break;
    }
    case 'dense':
      if (!isPosInt(l.units)) bad(`${where}.units must be a positive integer`);
      spec = withOptional({ kind: 'dense', name, units: l.units }, { activation: oneOf(l.activation, ACTIVATIONS, `${where}.activation`), useBias: optBool(l.useBias, `${where}.useBias`) });
      break;
    case 'dropout':
      if (typeof l.rate !== 'number' || !(l.rate >= 0 && l.rate < 1)) bad(`${where}.rate must be in [0, 1)`);
      spec = { kind: 'dropout', name, rate: l.rate };
      break;
    default:
      return bad(`${where}.kind ${JSON.stringify(l.kind)} is unknown`, { kind: l.kind });
  }
  if (inputs) spec.inputs = inputs;
  return spec;
}

/** Whether the layer applies a softmax: the model's last step must (the loss takes the logits before it). */
function endsInSoftmax(l: LayerSpec): boolean {
  return (l.kind === 'dense' || l.kind === 'activation') && l.activation === 'softmax';
}

/**
 * Checks untrusted JSON and returns a clean ModelConfig (unknown keys dropped): every layer's fields,
 * the graph (inputs name earlier layers or 'input'; merges read two or more; every layer is used;
 * softmax only at the end) and every shape, by the same arithmetic that counts the weights. Throws
 * MODEL_ERR_BAD_CONFIG naming the layer.
 */
export function validateModelConfig(cfg: unknown): ModelConfig {
  if (!isObj(cfg)) bad('model config must be an object');
  if (typeof cfg.name !== 'string' || cfg.name.length === 0) bad('name must be a non-empty string');
  const shape = cfg.inputShape;
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every(isPosInt)) bad('inputShape must be [height, width, channels] of positive integers');
  if (!isPosInt(cfg.numClasses) || cfg.numClasses < 2) bad('numClasses must be an integer ≥ 2');
  if (!Array.isArray(cfg.layers) || cfg.layers.length === 0) bad('layers must be a non-empty array');
  if (cfg.layers.length > MAX_LAYERS) bad(`the model has ${cfg.layers.length} layers, more than ${MAX_LAYERS}`);
  const layers = cfg.layers.map(validateLayer);
  const seen = new Set<string>([MODEL_INPUT]);
  const used = new Set<string>();
  layers.forEach((l, i) => {
    if (seen.has(l.name)) bad(`layer name ${l.name} is used twice`, { layer: l.name });
    const inputs = l.inputs ?? [i === 0 ? MODEL_INPUT : (layers[i - 1] as LayerSpec).name];
    for (const from of inputs) {
      if (!seen.has(from)) bad(`${l.name} reads ${from}, which is not a layer before it`, { layer: l.name });
      used.add(from);
    }
    const merge = l.kind === 'add' || l.kind === 'concatenate';
    if (merge && inputs.length < 2) bad(`${l.name} (${l.kind}) needs two or more inputs`, { layer: l.name });
    if (!merge && inputs.length !== 1) bad(`${l.name} (${l.kind}) takes one input, not ${inputs.length}`, { layer: l.name });
    if (endsInSoftmax(l) && i !== layers.length - 1) bad(`${l.name}: softmax is only supported as the model's last step`, { layer: l.name });
    seen.add(l.name);
  });
  const last = layers[layers.length - 1] as LayerSpec;
  for (const l of layers.slice(0, -1)) if (!used.has(l.name)) bad(`the output of ${l.name} is never used (one output: the last layer)`, { layer: l.name });
  if (!endsInSoftmax(last)) bad(`the last layer (${last.name}) must apply softmax: a dense layer with softmax activation, or a softmax activation layer`);
  const config: ModelConfig = { name: cfg.name, inputShape: [shape[0], shape[1], shape[2]] as [number, number, number], numClasses: cfg.numClasses, layers };
  const out = planLayers(config).output;
  if (out.length !== 1 || out[0] !== cfg.numClasses) bad(`the model's output has shape [${out.join(', ')}], not [${cfg.numClasses}] (numClasses)`);
  return config;
}
