import type { LayerSpec, ModelConfig } from './model-config';
import { ModelError } from './model-error';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const first = (v: unknown): unknown => (Array.isArray(v) ? v[0] : v);

function bad(why: string, details: Record<string, unknown> = {}): never {
  throw new ModelError('MODEL_ERR_BAD_CONFIG', `the model topology ${why}`, details);
}

/** A positive integer (or the first of a pair of them), else a coded error naming the field. */
function positive(v: unknown, layer: string, field: string): number {
  const n = first(v);
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) bad(`has ${layer}.${field} = ${JSON.stringify(v)}, not a positive integer`, { layer, field });
  return n;
}

function inputShapeOf(c: Json): [number, number, number] | undefined {
  const s = c['batch_input_shape'] ?? c['batch_shape'];
  if (!Array.isArray(s)) return undefined;
  const dims = s.slice(1);
  if (dims.length !== 3 || !dims.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 1)) bad(`has an input shape ${JSON.stringify(s)}; [null, height, width, channels] is needed`);
  return dims as [number, number, number];
}

/**
 * Reads a Sequential Keras/TF.js topology (the `modelTopology` of a model.json) as a ModelConfig
 * without TF.js building anything: so its size can be counted, and an absurd model refused, before
 * a single weight is allocated. Layers with no LayerSpec are refused here with MODEL_ERR_BAD_CONFIG,
 * as they would be after building.
 */
export function configFromTopology(topology: unknown): ModelConfig {
  // Saved files wrap it ({ class_name, config, keras_version }) or nest it under model_config.
  const top = isObject(topology) && isObject(topology['model_config']) ? topology['model_config'] : topology;
  if (!isObject(top)) bad('is not an object');
  if (top['class_name'] !== 'Sequential') bad(`is a ${JSON.stringify(top['class_name'])}; only Sequential models are supported`);
  const config = top['config'];
  const rawLayers = Array.isArray(config) ? config : isObject(config) ? config['layers'] : undefined;
  if (!Array.isArray(rawLayers)) bad('has no layer list');
  let inputShape: [number, number, number] | undefined;
  const layers: LayerSpec[] = [];
  for (const [i, raw] of rawLayers.entries()) {
    if (!isObject(raw) || !isObject(raw['config'])) bad(`layer ${i} is not { class_name, config }`);
    const c = raw['config'];
    const cls = String(raw['class_name']);
    const name = typeof c['name'] === 'string' ? c['name'] : `layer_${i}`;
    inputShape ??= inputShapeOf(c);
    switch (cls) {
      case 'InputLayer':
        continue;
      case 'Conv2D':
        layers.push({
          kind: 'conv2d',
          name,
          filters: positive(c['filters'], name, 'filters'),
          kernelSize: positive(c['kernel_size'], name, 'kernel_size'),
          strides: c['strides'] === undefined ? 1 : positive(c['strides'], name, 'strides'),
          padding: (c['padding'] ?? 'valid') as 'valid' | 'same',
          activation: (c['activation'] ?? 'linear') as 'relu' | 'linear',
        });
        break;
      case 'MaxPooling2D': {
        const poolSize = positive(c['pool_size'] ?? 2, name, 'pool_size');
        layers.push({ kind: 'maxPool2d', name, poolSize, strides: c['strides'] == null ? poolSize : positive(c['strides'], name, 'strides') });
        break;
      }
      case 'Flatten':
        layers.push({ kind: 'flatten', name });
        break;
      case 'Dense':
        layers.push({ kind: 'dense', name, units: positive(c['units'], name, 'units'), activation: (c['activation'] ?? 'linear') as 'relu' | 'softmax' | 'linear' });
        break;
      case 'Dropout':
        layers.push({ kind: 'dropout', name, rate: c['rate'] as number });
        break;
      default:
        throw new ModelError('MODEL_ERR_BAD_CONFIG', `layer ${name} (${cls}) has no LayerSpec`, { layer: name });
    }
  }
  if (!inputShape) bad('names no input shape (batch_input_shape on its first layer)');
  const last = layers[layers.length - 1];
  const name = isObject(config) && typeof config['name'] === 'string' ? config['name'] : 'model';
  return { name, inputShape, numClasses: last?.kind === 'dense' ? last.units : 0, layers };
}
