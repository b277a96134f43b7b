import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from './build-model';
import { configFromTopology } from './config-from-topology';
import { modelConfig } from './model-config';
import { parameterCount } from './parameter-count';
import { loadModel } from './model-io';

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'dtrain-topology-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

function stockModel(): tf.Sequential {
  const m = tf.sequential({ name: 'stock' });
  m.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: [5, 5], strides: 2, padding: 'same', activation: 'relu', name: 'c1' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'p1' }));
  m.add(tf.layers.dropout({ rate: 0.25, name: 'd' }));
  m.add(tf.layers.flatten({ name: 'f' }));
  m.add(tf.layers.dense({ units: 10, activation: 'softmax', name: 'out' }));
  return m;
}

describe('configFromTopology: a model.json read without building it', () => {
  it('reads what TF.js would build, layer for layer, from TF.js topologies and ours', () => {
    const stock = stockModel();
    expect(configFromTopology(stock.toJSON(undefined, false))).toEqual({
      name: 'stock',
      inputShape: [28, 28, 1],
      numClasses: 10,
      layers: [
        { kind: 'conv2d', name: 'c1', filters: 8, kernelSize: 5, strides: 2, padding: 'same', activation: 'relu' },
        { kind: 'maxPool2d', name: 'p1', poolSize: 2, strides: 2 },
        { kind: 'dropout', name: 'd', rate: 0.25 },
        { kind: 'flatten', name: 'f' },
        { kind: 'dense', name: 'out', units: 10, activation: 'softmax' },
      ],
    });
    stock.dispose();
    // Our own built-ins come back as the configs they were built from.
    for (const name of ['cnn', 'cnn-large'] as const) {
      const cfg = modelConfig(name);
      const built = buildModel(cfg);
      expect(parameterCount(configFromTopology(built.toJSON(undefined, false)))).toBe(parameterCount(cfg));
      expect(configFromTopology(built.toJSON(undefined, false)).layers.map((l) => [l.kind, l.name])).toEqual(cfg.layers.map((l) => [l.kind, l.name]));
      built.dispose();
    }
  });

  it('refuses unsupported layers (naming each) with MODEL_ERR_UNSUPPORTED_LAYER, and an empty model or a topology with no input shape with MODEL_ERR_BAD_CONFIG', () => {
    const odd = tf.sequential();
    odd.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, name: 'c' }));
    odd.add(tf.layers.leakyReLU({ name: 'leaky' }));
    odd.add(tf.layers.layerNormalization({ name: 'ln' }));
    expect(() => configFromTopology(odd.toJSON(undefined, false))).toThrow(
      expect.objectContaining({ code: 'MODEL_ERR_UNSUPPORTED_LAYER', message: expect.stringMatching(/leaky \(LeakyReLU\), ln \(LayerNormalization\)/), details: { layers: ['leaky (LeakyReLU)', 'ln (LayerNormalization)'] } }),
    );
    odd.dispose();
    // A field we would not train as written is named, not ignored.
    const dilated = tf.sequential();
    dilated.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, dilationRate: 2, name: 'dil' }));
    expect(() => configFromTopology(dilated.toJSON(undefined, false))).toThrow(expect.objectContaining({ code: 'MODEL_ERR_BAD_CONFIG', message: expect.stringMatching(/dil\.dilation_rate/) }));
    dilated.dispose();
    expect(() => configFromTopology({ class_name: 'Model', config: { layers: [] } })).toThrow(expect.objectContaining({ code: 'MODEL_ERR_BAD_CONFIG' }));
    expect(() => configFromTopology({ class_name: 'Sequential', config: { layers: [{ class_name: 'Flatten', config: { name: 'f' } }] } })).toThrow(/no input shape/);
    expect(() => configFromTopology({ class_name: 'Sequential', config: { layers: [{ class_name: 'Dense', config: { name: 'd', units: -3, batch_input_shape: [null, 28, 28, 1] } }] } })).toThrow(/d\.units/);
  });

  it('lets loadModel refuse a 50-M-weight model from its JSON before TF.js allocates it', async () => {
    const topology = {
      class_name: 'Sequential',
      config: {
        name: 'huge',
        layers: [
          { class_name: 'Conv2D', config: { name: 'c', filters: 64, kernel_size: [3, 3], padding: 'same', batch_input_shape: [null, 28, 28, 1] } },
          { class_name: 'Flatten', config: { name: 'f' } },
          { class_name: 'Dense', config: { name: 'wide', units: 1_000, activation: 'relu' } },
          { class_name: 'Dense', config: { name: 'out', units: 10, activation: 'softmax' } },
        ],
      },
    };
    const file = path.join(root, 'huge.json');
    await fs.writeFile(file, JSON.stringify({ modelTopology: topology }));
    const rss0 = process.memoryUsage.rss();
    await expect(loadModel(file)).rejects.toMatchObject({ code: 'MODEL_ERR_BAD_CONFIG', message: expect.stringMatching(/50187650 weights, more than 50000000/) });
    // Built, its dense kernel alone would be 50,176 × 1,000 floats (200 MB).
    expect(process.memoryUsage.rss() - rss0).toBeLessThan(100 * 1024 * 1024);
  });

  it('reads functional topologies as Keras 2 and Keras 3 write them (inbound_nodes as lists or as keras tensors) to the same graph', () => {
    const conv = (name: string): Record<string, unknown> => ({ name, filters: 4, kernel_size: [3, 3], strides: [1, 1], padding: 'same', data_format: 'channels_last', dilation_rate: [1, 1], activation: 'relu', use_bias: true });
    const keras2 = {
      class_name: 'Functional',
      config: {
        name: 'k2',
        layers: [
          { class_name: 'InputLayer', name: 'in', config: { batch_input_shape: [null, 8, 8, 3], dtype: 'float32', name: 'in' }, inbound_nodes: [] },
          { class_name: 'Conv2D', name: 'c1', config: conv('c1'), inbound_nodes: [[['in', 0, 0, {}]]] },
          { class_name: 'Conv2D', name: 'c2', config: conv('c2'), inbound_nodes: [[['c1', 0, 0, {}]]] },
          { class_name: 'Add', name: 'sum', config: { name: 'sum' }, inbound_nodes: [[['c1', 0, 0, {}], ['c2', 0, 0, {}]]] },
          { class_name: 'GlobalAveragePooling2D', name: 'gap', config: { name: 'gap', data_format: 'channels_last', keepdims: false }, inbound_nodes: [[['sum', 0, 0, {}]]] },
          { class_name: 'Dense', name: 'out', config: { name: 'out', units: 3, activation: 'softmax', use_bias: true }, inbound_nodes: [[['gap', 0, 0, {}]]] },
        ],
        input_layers: [['in', 0, 0]],
        output_layers: [['out', 0, 0]],
      },
      keras_version: '2.13.1',
    };
    const tensor = (from: string): Record<string, unknown> => ({ class_name: '__keras_tensor__', config: { shape: [null], dtype: 'float32', keras_history: [from, 0, 0] } });
    const keras3 = structuredClone(keras2) as typeof keras2;
    keras3.keras_version = '3.4.1';
    const k3layers = keras3.config.layers as unknown as { class_name: string; config: Record<string, unknown>; inbound_nodes: unknown }[];
    for (const l of k3layers) {
      const nodes = l.inbound_nodes as [string, number, number, object][][];
      l.inbound_nodes = nodes.length === 0 ? [] : [{ args: nodes[0]!.length === 1 ? [tensor(nodes[0]![0]![0])] : [nodes[0]!.map((t) => tensor(t[0]))], kwargs: {} }];
      if (l.class_name === 'InputLayer') {
        l.config = { batch_shape: [null, 8, 8, 3], dtype: 'float32', name: 'in' };
      }
    }
    const a = configFromTopology(keras2);
    const b = configFromTopology({ model_config: keras3 });
    expect(a.layers.map((l) => [l.name, l.inputs])).toEqual([
      ['c1', ['input']],
      ['c2', ['c1']],
      ['sum', ['c1', 'c2']],
      ['gap', ['sum']],
      ['out', ['gap']],
    ]);
    expect(b.layers).toEqual(a.layers);
    expect(a.inputShape).toEqual([8, 8, 3]);
    expect(a.numClasses).toBe(3);
    expect(parameterCount(a)).toBe(2 * (3 * 3 * 4 * 4 + 4) - 3 * 3 * 4 * 4 + 3 * 3 * 3 * 4 + 4 * 3 + 3);
    // A layer used twice (shared weights) is refused, not half-read.
    const shared = structuredClone(keras2);
    (shared.config.layers[2] as { inbound_nodes: unknown[] }).inbound_nodes = [[['c1', 0, 0, {}]], [['in', 0, 0, {}]]];
    expect(() => configFromTopology(shared)).toThrow(expect.objectContaining({ code: 'MODEL_ERR_BAD_CONFIG', message: expect.stringMatching(/shared layers/) }));
  });
});

