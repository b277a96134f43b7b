import type { LayerSpec, ModelConfig } from './model-config';
import { ModelError } from './model-error';

/** Upper bound on any single dimension in a config; guards against absurd allocations from untrusted JSON. */
const MAX_DIM = 1 << 16;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPosInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0 && (v as number) <= MAX_DIM;

function bad(message: string, details?: Record<string, unknown>): never {
  throw new ModelError('MODEL_ERR_BAD_CONFIG', message, details);
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], where: string): T | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) bad(`${where} must be one of ${allowed.join(', ')}`);
  return v as T;
}

function validateLayer(l: unknown, i: number): LayerSpec {
  if (!isObj(l)) bad(`layers[${i}] must be an object`);
  const where = `layers[${i}]`;
  if (typeof l.name !== 'string' || l.name.length === 0) bad(`${where}.name must be a non-empty string`);
  const name = l.name;
  switch (l.kind) {
    case 'conv2d': {
      if (!isPosInt(l.filters) || !isPosInt(l.kernelSize)) bad(`${where}: filters and kernelSize must be positive integers`);
      if (l.strides !== undefined && !isPosInt(l.strides)) bad(`${where}.strides must be a positive integer`);
      const spec: LayerSpec = { kind: 'conv2d', name, filters: l.filters, kernelSize: l.kernelSize };
      if (l.strides !== undefined) spec.strides = l.strides as number;
      const padding = oneOf(l.padding, ['valid', 'same'] as const, `${where}.padding`);
      if (padding) spec.padding = padding;
      const activation = oneOf(l.activation, ['relu', 'linear'] as const, `${where}.activation`);
      if (activation) spec.activation = activation;
      return spec;
    }
    case 'maxPool2d': {
      if (!isPosInt(l.poolSize)) bad(`${where}.poolSize must be a positive integer`);
      if (l.strides !== undefined && !isPosInt(l.strides)) bad(`${where}.strides must be a positive integer`);
      const spec: LayerSpec = { kind: 'maxPool2d', name, poolSize: l.poolSize };
      if (l.strides !== undefined) spec.strides = l.strides as number;
      return spec;
    }
    case 'flatten':
      return { kind: 'flatten', name };
    case 'dense': {
      if (!isPosInt(l.units)) bad(`${where}.units must be a positive integer`);
      const spec: LayerSpec = { kind: 'dense', name, units: l.units };
      const activation = oneOf(l.activation, ['relu', 'softmax', 'linear'] as const, `${where}.activation`);
      if (activation) spec.activation = activation;
      return spec;
    }
    case 'dropout': {
      if (typeof l.rate !== 'number' || !(l.rate >= 0 && l.rate < 1)) bad(`${where}.rate must be in [0, 1)`);
      return { kind: 'dropout', name, rate: l.rate };
    }
    default:
      return bad(`${where}.kind is unknown`, { kind: l.kind });
  }
}

/** Checks untrusted JSON and returns a clean ModelConfig (unknown keys dropped). Throws MODEL_ERR_BAD_CONFIG. */
export function validateModelConfig(cfg: unknown): ModelConfig {
  if (!isObj(cfg)) bad('model config must be an object');
  if (typeof cfg.name !== 'string' || cfg.name.length === 0) bad('name must be a non-empty string');
  const shape = cfg.inputShape;
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every(isPosInt)) bad('inputShape must be [height, width, channels] of positive integers');
  if (!isPosInt(cfg.numClasses) || cfg.numClasses < 2) bad('numClasses must be an integer ≥ 2');
  if (!Array.isArray(cfg.layers) || cfg.layers.length === 0) bad('layers must be a non-empty array');
  const layers = cfg.layers.map(validateLayer);
  const names = new Set<string>();
  for (const l of layers) {
    if (names.has(l.name)) bad(`layer name ${l.name} is used twice`);
    names.add(l.name);
  }
  const last = layers[layers.length - 1];
  if (!last || last.kind !== 'dense' || last.units !== cfg.numClasses) bad('the last layer must be a dense layer with numClasses units');
  let spatial = true;
  for (const l of layers) {
    if ((l.kind === 'conv2d' || l.kind === 'maxPool2d') && !spatial) bad(`${l.name}: spatial layer after flatten`);
    if (l.kind === 'flatten') spatial = false;
    if (l.kind === 'dense' && spatial) bad(`${l.name}: dense layer before flatten`);
  }
  return { name: cfg.name, inputShape: [shape[0], shape[1], shape[2]] as [number, number, number], numClasses: cfg.numClasses, layers };
}
