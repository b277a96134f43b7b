import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '@dtrain/common';
import { batchNormLayers, recalibrateBatchNorm } from './batch-norm-stats';
import { buildModel } from './build-model';
import { configFromModel } from './config-from-model';
import { configFromTopology } from './config-from-topology';
import { createGradientComputer } from './gradient-computer';
import { planLayers } from './layer-plan';
import { replaceHead } from './replace-head';
import type { ModelConfig } from './model-config';
import { loadModel, saveModel } from './model-io';
import { parameterCount } from './parameter-count';
import { validateModelConfig } from './validate-model-config';
import { getFlatWeights, weightManifest } from './weight-manifest';

/** Every layer kind, in a graph: a residual block with batch norm, a strided and a separable conv, an inception-style concat. */
const GRAPH: ModelConfig = {
  name: 'zoo',
  inputShape: [17, 15, 3],
  numClasses: 5,
  layers: [
    { kind: 'conv2d', name: 'stem', filters: 8, kernelSize: 3, padding: 'same', useBias: false },
    { kind: 'batchNorm', name: 'stem_bn' },
    { kind: 'activation', name: 'stem_relu', activation: 'relu' },
    { kind: 'conv2d', name: 'res_conv', filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' },
    { kind: 'add', name: 'res_add', inputs: ['stem_relu', 'res_conv'] },
    { kind: 'conv2d', name: 'down', filters: 12, kernelSize: [3, 5], strides: [2, 1], padding: 'valid', activation: 'relu6' },
    { kind: 'separableConv2d', name: 'sep', filters: 12, kernelSize: 3, padding: 'same', depthMultiplier: 2, activation: 'relu' },
    { kind: 'depthwiseConv2d', name: 'dw', kernelSize: 3, strides: 2, padding: 'same', inputs: ['down'] },
    { kind: 'maxPool2d', name: 'mp', poolSize: 3, strides: 2, padding: 'same', inputs: ['sep'] },
    { kind: 'concatenate', name: 'cat', inputs: ['dw', 'mp'] },
    { kind: 'zeroPadding2d', name: 'pad', padding: [[1, 0], [0, 2]] },
    { kind: 'avgPool2d', name: 'ap', poolSize: 2 },
    { kind: 'globalAvgPool2d', name: 'gap', inputs: ['cat'] },
    { kind: 'globalMaxPool2d', name: 'gmp', inputs: ['ap'] },
    { kind: 'concatenate', name: 'heads', inputs: ['gap', 'gmp'] },
    { kind: 'reshape', name: 'rs', targetShape: [4, -1] },
    { kind: 'flatten', name: 'flat' },
    { kind: 'dropout', name: 'drop', rate: 0.1 },
    { kind: 'dense', name: 'fc', units: 16, activation: 'tanh' },
    { kind: 'dense', name: 'out', units: 5, activation: 'softmax' },
  ],
};

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'dtrain-graph-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

function images(n: number, shape: readonly number[], seed = 1): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n * shape.reduce((a, b) => a * b, 1) }, () => rng.next());
}

describe('graph models: every supported layer, functional topologies, batch norm', () => {
  it('sizes a graph from its config exactly as TF.js builds it, and builds a functional model', () => {
    const cfg = validateModelConfig(GRAPH);
    const plan = planLayers(cfg);
    const model = buildModel(cfg);
    expect(model.getClassName()).toBe('Model');
    expect(parameterCount(cfg)).toBe(model.countParams());
    const trainable = model.trainableWeights.reduce((n, w) => n + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
    expect(plan.trainable).toBe(trainable);
    expect(plan.state).toBe(16); // stem_bn: moving mean and variance of 8 channels
    for (const layer of model.layers) {
      if (layer.getClassName() === 'InputLayer') continue;
      expect([...(layer.outputShape as number[]).slice(1)], layer.name).toEqual(plan.shapes.get(layer.name));
    }
    // Batch norm starts as the identity (scale 1, shift 0, mean 0, variance 1).
    const flat = getFlatWeights(model);
    const byName = new Map(weightManifest(model).entries.map((e) => [e.name, e]));
    for (const [w, v] of [['stem_bn/gamma', 1], ['stem_bn/beta', 0], ['stem_bn/moving_mean', 0], ['stem_bn/moving_variance', 1]] as const) {
      const e = byName.get(w)!;
      expect([...flat.subarray(e.offset, e.offset + e.size)].every((x) => x === v), w).toBe(true);
    }
    model.dispose();
  });

  it('reads its own topology back as the config it was built from, and a stock TF.js functional model layer for layer', () => {
    const model = buildModel(GRAPH);
    const back = configFromModel(model);
    expect(back.layers.map((l) => l.name)).toEqual(GRAPH.layers.map((l) => l.name));
    expect(parameterCount(back)).toBe(parameterCount(GRAPH));
    expect(back.numClasses).toBe(5);
    model.dispose();

    const inp = tf.input({ shape: [16, 16, 3], name: 'pixels' });
    const c = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, name: 'c' }).apply(inp) as tf.SymbolicTensor;
    const b = tf.layers.batchNormalization({ name: 'bn' }).apply(c) as tf.SymbolicTensor;
    const r = tf.layers.reLU({ name: 'relu' }).apply(b) as tf.SymbolicTensor;
    const s = tf.layers.add({ name: 'skip' }).apply([r, c]) as tf.SymbolicTensor;
    const g = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(s) as tf.SymbolicTensor;
    const o = tf.layers.dense({ units: 3, activation: 'softmax', name: 'o' }).apply(g) as tf.SymbolicTensor;
    const stock = tf.model({ inputs: inp, outputs: o });
    const cfg = configFromTopology(stock.toJSON(undefined, false));
    expect(cfg.inputShape).toEqual([16, 16, 3]);
    expect(cfg.layers).toEqual([
      { kind: 'conv2d', name: 'c', filters: 4, kernelSize: 3, strides: 1, padding: 'same', activation: 'linear', useBias: false, inputs: ['input'] },
      { kind: 'batchNorm', name: 'bn', momentum: 0.99, epsilon: 0.001, inputs: ['c'] },
      { kind: 'activation', name: 'relu', activation: 'relu', inputs: ['bn'] },
      { kind: 'add', name: 'skip', inputs: ['relu', 'c'] },
      { kind: 'globalAvgPool2d', name: 'gap', inputs: ['skip'] },
      { kind: 'dense', name: 'o', units: 3, activation: 'softmax', inputs: ['gap'] },
    ]);
    expect(parameterCount(cfg)).toBe(stock.countParams());
    stock.dispose();
  });

  it('computes the gradient of every trainable weight as model.apply with TF.js losses does (cpu)', () => {
    const model = buildModel(GRAPH, { seed: 3 });
    const n = 4;
    const x = images(n, GRAPH.inputShape);
    const labels = Int32Array.from([0, 4, 2, 1]);
    // Dropout aside (its masks differ by construction): a model without it.
    const noDrop = buildModel({ ...GRAPH, layers: GRAPH.layers.map((l) => (l.kind === 'dropout' ? { ...l, rate: 0 } : l)) }, { seed: 3 });
    const gc = createGradientComputer(noDrop, { reuseBuffer: false });
    const ours = gc.compute(x, labels, n);
    const manifest = weightManifest(noDrop);
    const xt = tf.tensor4d(x, [n, ...GRAPH.inputShape]);
    const yt = tf.oneHot(tf.tensor1d(labels, 'int32'), 5);
    const trainable = noDrop.trainableWeights.map((w) => w.read() as tf.Variable);
    const ref = tf.variableGrads(() => tf.metrics.categoricalCrossentropy(yt, noDrop.apply(xt, { training: true }) as tf.Tensor).mean() as tf.Scalar, trainable);
    expect(Math.abs(ours.loss - (ref.value.dataSync()[0] as number))).toBeLessThan(1e-4);
    for (const e of manifest.entries) {
      const got = ours.grads.subarray(e.offset, e.offset + e.size);
      const v = noDrop.weights.find((w) => w.originalName === e.name)!;
      const want = ref.grads[(v.read() as tf.Variable).name];
      if (!e.trainable) {
        expect(want, e.name).toBeUndefined();
        expect([...got].every((g) => g === 0), `${e.name} gets no gradient`).toBe(true);
        continue;
      }
      const w = want!.dataSync();
      let diff = 0;
      let scale = 1e-6;
      for (let i = 0; i < w.length; i++) {
        diff = Math.max(diff, Math.abs((got[i] as number) - (w[i] as number)));
        scale = Math.max(scale, Math.abs(w[i] as number));
      }
      expect(diff / scale, e.name).toBeLessThan(1e-4);
    }
    gc.dispose();
    model.dispose();
    noDrop.dispose();
  });

  it('refuses broken graphs naming the layer: unknown inputs, unused layers, shape clashes, softmax mid-model, a dense layer on a map', () => {
    const variant = (edit: (layers: ModelConfig['layers']) => ModelConfig['layers']): unknown => ({ ...GRAPH, layers: edit(structuredClone(GRAPH.layers)) });
    const cases: [unknown, RegExp][] = [
      [variant((ls) => ls.map((l) => (l.name === 'res_add' ? { ...l, inputs: ['stem_relu', 'nowhere'] } : l))), /res_add reads nowhere/],
      [variant((ls) => ls.map((l) => (l.name === 'res_add' ? { ...l, inputs: ['stem_relu', 'sep'] } : l))), /res_add reads sep, which is not a layer before it/],
      [variant((ls) => ls.map((l) => (l.name === 'gmp' ? { ...l, inputs: ['cat'] } : l))), /output of ap is never used/],
      [variant((ls) => ls.map((l) => (l.name === 'res_add' ? { ...l, inputs: ['stem_relu', 'stem'] } : l)).map((l) => (l.name === 'res_conv' ? { ...l, filters: 6 } : l))), /never used|add needs inputs of one shape/],
      [variant((ls) => ls.map((l) => (l.name === 'dw' ? { ...l, strides: 1 } : l))), /cat: concatenate needs inputs that differ only in their last axis/],
      [variant((ls) => ls.map((l) => (l.name === 'fc' ? { ...l, activation: 'softmax' } : l))), /fc: softmax is only supported as the model's last step/],
      [variant((ls) => ls.map((l) => (l.name === 'gap' ? { kind: 'dense', name: 'gap', units: 4, inputs: ['cat'] } : l))), /gap: dense needs a flat input/],
      [variant((ls) => ls.map((l) => (l.name === 'res_add' ? { ...l, inputs: ['stem_relu'] } : l))), /res_add \(add\) needs two or more inputs/],
      [variant((ls) => ls.map((l) => (l.name === 'rs' ? { ...l, targetShape: [5, -1] } : l))), /rs: cannot reshape/],
      [variant((ls) => ls.map((l) => (l.name === 'down' ? { ...l, kernelSize: [30, 3] } : l))), /down: its output would be/],
      [variant((ls) => ls.map((l) => (l.name === 'stem' ? { ...l, name: 'input' } : l))), /reserved/],
    ];
    for (const [cfg, message] of cases) expect(() => validateModelConfig(cfg)).toThrow(expect.objectContaining({ code: 'MODEL_ERR_BAD_CONFIG', message: expect.stringMatching(message) }));
  });

  it('recalibrates batch norm to the population statistics of its input for the current weights', () => {
    const model = buildModel(GRAPH, { seed: 5 });
    const n = 48;
    const x = images(n, GRAPH.inputShape, 9);
    recalibrateBatchNorm(model, x, n, 20);
    const [bn] = batchNormLayers(model);
    const probe = tf.model({ inputs: model.inputs, outputs: bn!.input as tf.SymbolicTensor });
    const act = probe.predict(tf.tensor4d(x, [n, ...GRAPH.inputShape])) as tf.Tensor;
    const { mean, variance } = tf.moments(act, [0, 1, 2]);
    const read = (which: string): Float32Array => bn!.weights.find((w) => w.originalName.endsWith(which))!.read().dataSync() as Float32Array;
    const close = (a: ArrayLike<number>, b: ArrayLike<number>): number => Math.max(...Array.from(a, (v, i) => Math.abs(v - (b[i] as number)) / Math.max(1e-3, Math.abs(b[i] as number))));
    expect(close(read('moving_mean'), mean.dataSync())).toBeLessThan(1e-3);
    expect(close(read('moving_variance'), variance.dataSync())).toBeLessThan(1e-3);
    model.dispose();
  });

  it('saves a standard model.json that stock tf.loadLayersModel predicts with identically, and loads it back as its config', async () => {
    const model = buildModel(GRAPH, { seed: 7 });
    const n = 6;
    const x = images(n, GRAPH.inputShape, 2);
    recalibrateBatchNorm(model, x, n);
    const dir = path.join(root, 'graph');
    await saveModel(model, dir, { note: 'graph' });
    const json = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
    const weights = await fs.readFile(path.join(dir, 'weights.bin'));
    const stock = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0]!.weights, weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer }),
    );
    const xt = tf.tensor4d(x, [n, ...GRAPH.inputShape]);
    expect((stock.predict(xt) as tf.Tensor).dataSync()).toEqual((model.predict(xt) as tf.Tensor).dataSync());
    const loaded = await loadModel(dir);
    expect(loaded.config).toEqual(validateModelConfig(GRAPH));
    expect((loaded.model.predict(xt) as tf.Tensor).dataSync()).toEqual((model.predict(xt) as tf.Tensor).dataSync());
    for (const m of [model, stock, loaded.model]) m.dispose();
  });

  it('fine-tunes a graph model: a new head keeps every other weight, and frozen layers get no gradient', () => {
    const model = buildModel(GRAPH, { seed: 11 });
    const { model: tuned, config } = replaceHead(model, 3, { seed: 12 });
    expect(config.numClasses).toBe(3);
    expect(tuned.getClassName()).toBe('Model');
    const before = new Map(weightManifest(model).entries.map((e) => [e.name, getFlatWeights(model).subarray(e.offset, e.offset + e.size)]));
    const flat = getFlatWeights(tuned);
    for (const e of weightManifest(tuned).entries) {
      if (e.name.startsWith('out/')) continue;
      expect(Array.from(flat.subarray(e.offset, e.offset + e.size)), e.name).toEqual(Array.from(before.get(e.name)!));
    }
    const gc = createGradientComputer(tuned, { frozen: ['stem', 'res_'] });
    const r = gc.compute(images(2, GRAPH.inputShape), Int32Array.from([0, 2]), 2);
    for (const e of weightManifest(tuned).entries) {
      const g = r.grads.subarray(e.offset, e.offset + e.size);
      const zero = g.every((v) => v === 0);
      if (/^(stem|res_)/.test(e.name) || !e.trainable) expect(zero, e.name).toBe(true);
      else if (e.name.startsWith('out/')) expect(zero, e.name).toBe(false);
    }
    gc.dispose();
    model.dispose();
    tuned.dispose();
  });
});

