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
});
