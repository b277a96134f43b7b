import type { ActivationName, LayerSpec, ModelConfig, Padding, Size2 } from './model-config';
import { MODEL_INPUT } from './model-config';
import { ModelError } from './model-error';
import { planLayers } from './layer-plan';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(why: string, details: Record<string, unknown> = {}): never {
  throw new ModelError('MODEL_ERR_BAD_CONFIG', `the model topology ${why}`, details);
}

/** Keras layer classes we train, and the LayerSpec kind each becomes. */
export const SUPPORTED_LAYERS: readonly string[] = [
  'InputLayer',
  'Conv2D',
  'DepthwiseConv2D',
  'SeparableConv2D',
  'BatchNormalization',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'ZeroPadding2D',
  'Activation',
  'ReLU',
  'Add',
  'Concatenate',
  'Flatten',
  'Reshape',
  'Dense',
  'Dropout',
];

const ACTIVATIONS: readonly string[] = ['relu', 'relu6', 'linear', 'sigmoid', 'tanh', 'elu', 'softmax'];

/** A positive integer, or a pair of them (a single value when both are equal). */
function size2(v: unknown, layer: string, field: string): Size2 {
  const pair = Array.isArray(v) ? v : [v, v];
  const [a, b] = pair as unknown[];
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1;
  if (pair.length !== 2 || !ok(a) || !ok(b)) bad(`has ${layer}.${field} = ${JSON.stringify(v)}, not a positive integer or a pair of them`, { layer, field });
  return a === b ? a : [a, b];
}

function positive(v: unknown, layer: string, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) bad(`has ${layer}.${field} = ${JSON.stringify(v)}, not a positive integer`, { layer, field });
  return v;
}

function padding(v: unknown, layer: string): Padding {
  const p = v ?? 'valid';
  if (p !== 'valid' && p !== 'same') bad(`has ${layer}.padding = ${JSON.stringify(v)}; 'valid' or 'same' is supported`, { layer, field: 'padding' });
  return p;
}

function activation(v: unknown, layer: string): ActivationName {
  const a = v ?? 'linear';
  if (typeof a !== 'string' || !ACTIVATIONS.includes(a)) bad(`has ${layer}.activation = ${JSON.stringify(v)}; supported: ${ACTIVATIONS.join(', ')}`, { layer, field: 'activation' });
  return a as ActivationName;
}

/** Fields a layer must not set to anything but their default (we would train something else). */
function only(c: Json, layer: string, field: string, allowed: readonly unknown[]): void {
  const v = c[field];
  if (v === undefined || v === null) return;
  if (!allowed.some((a) => JSON.stringify(a) === JSON.stringify(v))) bad(`has ${layer}.${field} = ${JSON.stringify(v)}; only ${allowed.map((a) => JSON.stringify(a)).join(' or ')} is supported`, { layer, field });
}

function channelsLast(c: Json, layer: string): void {
  only(c, layer, 'data_format', ['channels_last']);
  only(c, layer, 'dilation_rate', [1, [1, 1]]);
}

function lastAxis(c: Json, layer: string): void {
  only(c, layer, 'axis', [-1, 3, [-1], [3]]);
}

function inputShapeOf(c: Json): [number, number, number] | undefined {
  const s = c['batch_input_shape'] ?? c['batch_shape'];
  if (!Array.isArray(s)) return undefined;
  const dims = s.slice(1);
  if (dims.length !== 3 || !dims.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 1)) bad(`has an input shape ${JSON.stringify(s)}; [null, height, width, channels] is needed`);
  return dims as [number, number, number];
}

/** The spec of one Keras layer (without its inputs); throws for a field we would not train as written. */
function specOf(cls: string, c: Json, name: string): LayerSpec {
  const conv = (): { strides?: Size2; padding: Padding; activation: ActivationName; useBias?: boolean } => {
    channelsLast(c, name);
    const spec: { strides?: Size2; padding: Padding; activation: ActivationName; useBias?: boolean } = { padding: padding(c['padding'], name), activation: activation(c['activation'], name) };
    if (c['strides'] !== undefined) spec.strides = size2(c['strides'], name, 'strides');
    if (c['use_bias'] === false) spec.useBias = false;
    return spec;
  };
  const pool = (): { poolSize: Size2; strides: Size2; padding?: Padding } => {
    channelsLast(c, name);
    const poolSize = size2(c['pool_size'] ?? 2, name, 'pool_size');
    const spec = { poolSize, strides: c['strides'] == null ? poolSize : size2(c['strides'], name, 'strides') };
    return padding(c['padding'], name) === 'same' ? { ...spec, padding: 'same' } : spec;
  };
  const multiplier = (): { depthMultiplier?: number } => (c['depth_multiplier'] === undefined || c['depth_multiplier'] === 1 ? {} : { depthMultiplier: positive(c['depth_multiplier'], name, 'depth_multiplier') });
  switch (cls) {
    case 'Conv2D':
      return { kind: 'conv2d', name, filters: positive(c['filters'], name, 'filters'), kernelSize: size2(c['kernel_size'], name, 'kernel_size'), ...conv() };
    case 'DepthwiseConv2D':
      return { kind: 'depthwiseConv2d', name, kernelSize: size2(c['kernel_size'], name, 'kernel_size'), ...multiplier(), ...conv() };
    case 'SeparableConv2D':
      return { kind: 'separableConv2d', name, filters: positive(c['filters'], name, 'filters'), kernelSize: size2(c['kernel_size'], name, 'kernel_size'), ...multiplier(), ...conv() };
    case 'BatchNormalization': {
      lastAxis(c, name);
      const spec: LayerSpec = { kind: 'batchNorm', name };
      if (typeof c['momentum'] === 'number') spec.momentum = c['momentum'];
      if (typeof c['epsilon'] === 'number') spec.epsilon = c['epsilon'];
      for (const field of ['center', 'scale'])
        if (c[field] === false) bad(`has ${name}.${field} = false: TF.js 4.22 cannot train batch norm without its ${field === 'scale' ? 'scale' : 'offset'} (its gradient needs both)`, { layer: name, field });
      return spec;
    }
    case 'MaxPooling2D':
      return { kind: 'maxPool2d', name, ...pool() };
    case 'AveragePooling2D':
      return { kind: 'avgPool2d', name, ...pool() };
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
      channelsLast(c, name);
      only(c, name, 'keepdims', [false]);
      return { kind: cls === 'GlobalAveragePooling2D' ? 'globalAvgPool2d' : 'globalMaxPool2d', name };
    case 'ZeroPadding2D': {
      channelsLast(c, name);
      const p = c['padding'] ?? 1;
      const n = (v: unknown): number => {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) bad(`has ${name}.padding = ${JSON.stringify(p)}, not non-negative integers`, { layer: name, field: 'padding' });
        return v;
      };
      const rows = Array.isArray(p) ? p : [p, p];
      if (rows.length !== 2) bad(`has ${name}.padding = ${JSON.stringify(p)}`, { layer: name, field: 'padding' });
      const side = (r: unknown): [number, number] => (Array.isArray(r) ? (r.length === 2 ? [n(r[0]), n(r[1])] : bad(`has ${name}.padding = ${JSON.stringify(p)}`, { layer: name })) : [n(r), n(r)]);
      return { kind: 'zeroPadding2d', name, padding: [side(rows[0]), side(rows[1])] };
    }
    case 'Activation':
      return { kind: 'activation', name, activation: activation(c['activation'], name) };
    case 'ReLU': {
      only(c, name, 'negative_slope', [0]);
      only(c, name, 'threshold', [0]);
      only(c, name, 'max_value', [6]);
      return { kind: 'activation', name, activation: c['max_value'] === 6 ? 'relu6' : 'relu' };
    }
    case 'Add':
      return { kind: 'add', name };
    case 'Concatenate':
      lastAxis(c, name);
      return { kind: 'concatenate', name };
    case 'Flatten':
      only(c, name, 'data_format', ['channels_last']);
      return { kind: 'flatten', name };
    case 'Reshape': {
      const t = c['target_shape'];
      if (!Array.isArray(t)) bad(`has ${name}.target_shape = ${JSON.stringify(t)}`, { layer: name });
      return { kind: 'reshape', name, targetShape: (t as unknown[]).map((d) => (d === -1 || d === null ? -1 : positive(d, name, 'target_shape'))) };
    }
    case 'Dense': {
      const spec: LayerSpec = { kind: 'dense', name, units: positive(c['units'], name, 'units'), activation: activation(c['activation'], name) };
      if (c['use_bias'] === false) spec.useBias = false;
      return spec;
    }
    case 'Dropout':
      if (typeof c['rate'] !== 'number' || !(c['rate'] >= 0 && c['rate'] < 1)) bad(`has ${name}.rate = ${JSON.stringify(c['rate'])}, not in [0, 1)`, { layer: name, field: 'rate' });
      return { kind: 'dropout', name, rate: c['rate'] };
    default:
      return bad(`layer ${name} is a ${cls}`);
  }
}

/**
 * The layers a functional layer reads, from its inbound_nodes: Keras 2 / TF.js write
 * [[[name, node, tensor, kwargs], …]]; Keras 3 writes [{ args: [keras tensors], … }].
 */
function inboundOf(raw: Json, name: string): string[] {
  const nodes = raw['inbound_nodes'];
  if (!Array.isArray(nodes) || nodes.length === 0) return [];
  if (nodes.length > 1) bad(`uses layer ${name} ${nodes.length} times; shared layers are not supported`, { layer: name });
  const node = nodes[0];
  if (Array.isArray(node)) return node.map((t) => (Array.isArray(t) && typeof t[0] === 'string' ? t[0] : bad(`has an inbound node of ${name} that is not [layer, node, tensor]`, { layer: name })));
  const history: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (isObject(v)) {
      const h = isObject(v['config']) ? v['config']['keras_history'] : undefined;
      if (v['class_name'] === '__keras_tensor__' && Array.isArray(h) && typeof h[0] === 'string') history.push(h[0]);
      else Object.values(v).forEach(walk);
    }
  };
  walk(isObject(node) ? node['args'] : node);
  return history;
}

/** Orders layers so each comes after the layers it reads (Keras lists them so already, normally). */
function topological(layers: LayerSpec[]): LayerSpec[] {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const done = new Set<string>([MODEL_INPUT]);
  const out: LayerSpec[] = [];
  const visiting = new Set<string>();
  const visit = (l: LayerSpec): void => {
    if (done.has(l.name)) return;
    if (visiting.has(l.name)) bad(`has a cycle through ${l.name}`, { layer: l.name });
    visiting.add(l.name);
    for (const from of l.inputs ?? []) {
      const dep = byName.get(from);
      if (dep) visit(dep);
      else if (from !== MODEL_INPUT) bad(`has ${l.name} reading ${from}, which is not a layer of the model`, { layer: l.name });
    }
    visiting.delete(l.name);
    done.add(l.name);
    out.push(l);
  };
  layers.forEach(visit);
  return out;
}

/**
 * Reads a Keras/TF.js topology (the `modelTopology` of a model.json: Sequential, or functional
 * 'Model'/'Functional') as a ModelConfig without TF.js building anything: so its size can be
 * counted, and an absurd model refused, before a single weight is allocated. Layers outside the
 * supported set are refused together with MODEL_ERR_UNSUPPORTED_LAYER, which names each of them;
 * a field we would not train as written (dilation, channels_first, a leaky ReLU…) with
 * MODEL_ERR_BAD_CONFIG naming the layer and field.
 */
export function configFromTopology(topology: unknown): ModelConfig {
  // Saved files wrap it ({ class_name, config, keras_version }) or nest it under model_config.
  const top = isObject(topology) && isObject(topology['model_config']) ? topology['model_config'] : topology;
  if (!isObject(top)) bad('is not an object');
  const cls = top['class_name'];
  const functional = cls === 'Model' || cls === 'Functional';
  if (cls !== 'Sequential' && !functional) bad(`is a ${JSON.stringify(cls)}; Sequential and functional (Model) topologies are supported`);
  const config = top['config'];
  const rawLayers = Array.isArray(config) ? config : isObject(config) ? config['layers'] : undefined;
  if (!Array.isArray(rawLayers)) bad('has no layer list');
  const unsupported = rawLayers.filter((r) => isObject(r) && !SUPPORTED_LAYERS.includes(String(r['class_name'])));
  if (unsupported.length > 0) {
    const named = unsupported.map((r) => `${String((isObject(r['config']) && r['config']['name']) || r['name'] || '?')} (${String(r['class_name'])})`);
    throw new ModelError('MODEL_ERR_UNSUPPORTED_LAYER', `the model has layers dtrain cannot train: ${named.join(', ')}; supported: ${SUPPORTED_LAYERS.filter((l) => l !== 'InputLayer').join(', ')}`, { layers: named });
  }
  let inputShape: [number, number, number] | undefined;
  let inputName: string | undefined;
  const layers: LayerSpec[] = [];
  for (const [i, raw] of rawLayers.entries()) {
    if (!isObject(raw) || !isObject(raw['config'])) bad(`layer ${i} is not { class_name, config }`);
    const c = raw['config'];
    const name = typeof c['name'] === 'string' ? c['name'] : typeof raw['name'] === 'string' ? raw['name'] : `layer_${i}`;
    inputShape ??= inputShapeOf(c);
    if (raw['class_name'] === 'InputLayer') {
      if (inputName !== undefined) bad('has two inputs; one is supported');
      inputName = name;
      continue;
    }
    const spec = specOf(String(raw['class_name']), c, name);
    if (functional) spec.inputs = inboundOf(raw, name).map((n) => (n === inputName ? MODEL_INPUT : n));
    layers.push(spec);
  }
  if (!inputShape) bad('names no input shape (batch_input_shape on its input or first layer)');
  if (layers.length === 0) bad('has no layers');
  if (functional) {
    const outs = isObject(config) ? config['output_layers'] : undefined;
    if (Array.isArray(outs) && outs.length !== 1) bad(`has ${outs.length} outputs; one is supported`);
  }
  const ordered = functional ? topological(layers) : layers;
  const name = isObject(config) && typeof config['name'] === 'string' ? config['name'] : 'model';
  const draft: ModelConfig = { name, inputShape, numClasses: 0, layers: ordered };
  const out = planLayers(draft).output;
  return { ...draft, numClasses: out.length === 1 ? (out[0] as number) : 0 };
}
