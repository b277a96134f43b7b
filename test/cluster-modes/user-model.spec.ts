import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { fillBatch, loadDataset } from '@dtrain/data';
import { loadModel } from '@dtrain/model';
import { killChildren, removeTempDirs, runDtrain, tempDir } from './cluster-harness';

// --model FILE: a model the user defined and saved with stock TF.js trains distributed, and what
// dtrain saves loads back in stock TF.js.

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(killChildren);
afterAll(removeTempDirs);

function userModel(): tf.Sequential {
  const m = tf.sequential({ name: 'my_cnn' });
  m.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 12, kernelSize: 5, strides: 2, padding: 'same', activation: 'relu', name: 'c1' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'p1' }));
  m.add(tf.layers.flatten({ name: 'f' }));
  m.add(tf.layers.dense({ units: 48, activation: 'relu', name: 'd1' }));
  m.add(tf.layers.dropout({ rate: 0.1, name: 'drop' }));
  m.add(tf.layers.dense({ units: 10, activation: 'softmax', name: 'out' }));
  return m;
}

/** What `model.save('file://…')` writes with tfjs-node: model.json + weights.bin. */
async function stockSave(model: tf.LayersModel, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      await writeFile(join(dir, 'weights.bin'), new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData!)));
      await writeFile(join(dir, 'model.json'), JSON.stringify({ modelTopology: a.modelTopology, format: a.format, generatedBy: a.generatedBy, weightsManifest: [{ paths: ['./weights.bin'], weights: a.weightSpecs }] }));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
}

describe('--model FILE (a stock TF.js Layers model)', () => {
  it('trains it with 2 workers from its weights, and the saved result predicts identically in stock TF.js', async () => {
    const src = await tempDir('user-model');
    const out = await tempDir('user-model-out');
    const model = userModel();
    await stockSave(model, src);
    model.dispose();
    const r = await runDtrain(['local', '--workers', '2', '--model', join(src, 'model.json'), '--epochs', '1', '--train-limit', '2048', '--test-limit', '500', '--out', out, '--json', '--no-dashboard'], 150_000);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ model: join(src, 'model.json'), train_samples: 2048 });
    // Far above chance (10 %) after 16 steps.
    expect(r.json['test_accuracy'] as number).toBeGreaterThan(0.3);
    const json = JSON.parse(await readFile(join(out, 'model.json'), 'utf8')) as tf.io.ModelJSON;
    const weights = await readFile(join(out, 'weights.bin'));
    const stock = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0]!.weights, weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer }),
    );
    expect(stock.layers.map((l) => l.name)).toEqual(['c1', 'p1', 'f', 'd1', 'drop', 'out']);
    const ours = await loadModel(out);
    const x = tf.randomUniform([8, 28, 28, 1], 0, 1, 'float32', 3);
    const a = (stock.predict(x) as tf.Tensor).dataSync();
    const b = (ours.model.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
    stock.dispose();
    ours.model.dispose();
  }, 200_000);

  it('takes a topology without weights (model.toJSON), and refuses a layer it cannot train with a coded error', async () => {
    const dir = await tempDir('user-topology');
    const model = userModel();
    await writeFile(join(dir, 'topology.json'), JSON.stringify({ modelTopology: model.toJSON(undefined, false) }));
    model.dispose();
    const r = await runDtrain(['train', '--model', join(dir, 'topology.json'), '--epochs', '1', '--train-limit', '512', '--test-limit', '200', '--json'], 120_000);
    expect(r.code).toBe(0);
    expect(r.json['test_accuracy'] as number).toBeGreaterThan(0.2);
    const odd = tf.sequential();
    odd.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, name: 'c' }));
    odd.add(tf.layers.leakyReLU({ name: 'leaky' }));
    odd.add(tf.layers.flatten({ name: 'f' }));
    odd.add(tf.layers.dense({ units: 10, activation: 'softmax', name: 'out' }));
    await writeFile(join(dir, 'leaky.json'), JSON.stringify({ modelTopology: odd.toJSON(undefined, false) }));
    odd.dispose();
    const refused = await runDtrain(['train', '--model', join(dir, 'leaky.json'), '--epochs', '1', '--train-limit', '64', '--json'], 60_000);
    expect(refused.code).toBe(1);
    expect(refused.stderr.join('\n')).toMatch(/MODEL_ERR_UNSUPPORTED_LAYER.*leaky \(LeakyReLU\)/);
  }, 200_000);
});

/** 32×32 RGB PNGs in class folders: each class a colour (with noise and a random bright square), `train`/`test` per class. */
async function colourFolders(root: string, perClass: { train: number; test: number }): Promise<string[]> {
  const classes = ['red', 'green', 'blue', 'white'];
  const tint: Record<string, [number, number, number]> = { red: [200, 40, 40], green: [40, 190, 60], blue: [40, 60, 210], white: [200, 200, 200] };
  let seed = 1;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (const split of ['train', 'test'] as const) {
    for (const c of classes) {
      const dir = join(root, split, c);
      await mkdir(dir, { recursive: true });
      for (let i = 0; i < perClass[split]; i++) {
        const png = new PNG({ width: 32, height: 32 });
        const [r, g, b] = tint[c]!;
        const sx = Math.floor(rand() * 24);
        const sy = Math.floor(rand() * 24);
        for (let y = 0; y < 32; y++)
          for (let x = 0; x < 32; x++) {
            const o = (y * 32 + x) * 4;
            const square = x >= sx && x < sx + 8 && y >= sy && y < sy + 8 ? 55 : 0;
            png.data[o] = Math.min(255, r * (0.6 + 0.4 * rand()) + square);
            png.data[o + 1] = Math.min(255, g * (0.6 + 0.4 * rand()) + square);
            png.data[o + 2] = Math.min(255, b * (0.6 + 0.4 * rand()) + square);
            png.data[o + 3] = 255;
          }
        await writeFile(join(dir, `${c}-${i}.png`), PNG.sync.write(png));
      }
    }
  }
  return classes;
}

type T = tf.SymbolicTensor;
const on = (layer: tf.layers.Layer, x: T | T[]): T => layer.apply(x) as T;

/** The model: batch norm, a residual add, a strided conv, a separable conv, average and global average pooling. */
function functionalModel(classes: number): tf.LayersModel {
  const input = tf.input({ shape: [32, 32, 3], name: 'rgb' });
  const c1 = on(tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', useBias: false, name: 'c1' }), input);
  const a = on(tf.layers.reLU({ name: 'a' }), on(tf.layers.batchNormalization({ name: 'bn1' }), c1));
  const c2 = on(tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', name: 'c2' }), a);
  const res = on(tf.layers.add({ name: 'res' }), [a, c2]);
  const down = on(tf.layers.conv2d({ filters: 24, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'down' }), res);
  const sep = on(tf.layers.separableConv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', name: 'sep' }), down);
  const avg = on(tf.layers.averagePooling2d({ poolSize: 2, name: 'avg' }), sep);
  const gap = on(tf.layers.globalAveragePooling2d({ name: 'gap' }), avg);
  const out = on(tf.layers.dense({ units: classes, activation: 'softmax', name: 'out' }), gap);
  return tf.model({ inputs: input, outputs: out, name: 'users_resnet' });
}

describe('--model FILE: a functional TF.js model on an RGB image folder', () => {
  it('trains with 2 workers on 32×32 RGB PNG folders, learns, and its result predicts in stock TF.js as dtrain evaluated it', async () => {
    const data = await tempDir('rgb-folders');
    const cache = await tempDir('rgb-cache');
    const src = await tempDir('functional-model');
    const out = await tempDir('functional-out');
    const classes = await colourFolders(data, { train: 96, test: 16 });
    const model = functionalModel(classes.length);
    await writeFile(join(src, 'model.json'), JSON.stringify({ modelTopology: model.toJSON(undefined, false), format: 'layers-model' }));
    model.dispose();
    const env = { DTRAIN_CACHE: cache };
    const r = await runDtrain(['local', '--workers', '2', '--model', join(src, 'model.json'), '--dataset', `folder:${data}`, '--batch-size', '16', '--epochs', '2', '--out', out, '--json', '--no-dashboard'], 240_000, env);
    expect(r.code, r.stderr.slice(-15).join('\n')).toBe(0);
    expect(r.json).toMatchObject({ train_samples: 768, test_samples: 64, model: join(src, 'model.json') });
    // Chance is 25 %.
    const accuracy = r.json['test_accuracy'] as number;
    expect(accuracy).toBeGreaterThan(0.6);
    // On wasm: every layer ran on our kernels or the stock ones they leave alone by design, nothing on a slower fallback.
    expect(r.json['backend']).toBe('wasm');
    expect(r.json['kernel_fallbacks']).toEqual([]);
    expect((r.json['worker_stats'] as { kernel_fallbacks: string[] }[]).map((w) => w.kernel_fallbacks)).toEqual([[], []]);
    // Stock TF.js loads the saved model.json and, on the test split, predicts what dtrain evaluated
    // (batch norm's statistics included), and exactly what dtrain's own loader predicts.
    const json = JSON.parse(await readFile(join(out, 'model.json'), 'utf8')) as tf.io.ModelJSON;
    const weights = await readFile(join(out, 'weights.bin'));
    const stock = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0]!.weights, weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer }),
    );
    const { test } = await loadDataset(`folder:${data}`, { cacheDir: cache });
    expect(test.classNames).toEqual([...classes].sort());
    const images = new Float32Array(test.count * 32 * 32 * 3);
    fillBatch(test, Uint32Array.from({ length: test.count }, (_, i) => i), images, new Int32Array(test.count));
    const x = tf.tensor4d(images, [test.count, 32, 32, 3]);
    const predicted = (stock.predict(x) as tf.Tensor).argMax(-1).dataSync();
    const right = Array.from(predicted).filter((p, i) => p === test.labels[i]).length;
    expect(Math.abs(right / test.count - accuracy)).toBeLessThanOrEqual(2 / test.count);
    const ours = await loadModel(out);
    expect(Array.from((ours.model.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((stock.predict(x) as tf.Tensor).dataSync()));
    stock.dispose();
    ours.model.dispose();
    // The same model in the other consistency modes, with compression and error feedback both ways.
    const ssp = await runDtrain(['local', '--workers', '2', '--model', join(src, 'model.json'), '--dataset', `folder:${data}`, '--batch-size', '16', '--epochs', '2', '--mode', 'ssp', '--compression', 'int4', '--weights-compression', 'int8', '--json', '--no-dashboard'], 240_000, env);
    expect(ssp.code, ssp.stderr.slice(-15).join('\n')).toBe(0);
    expect(ssp.json).toMatchObject({ mode: 'ssp', compression: 'int4', train_samples: 768 });
    expect(ssp.json['test_accuracy'] as number).toBeGreaterThan(0.6);
  }, 400_000);

  it('refuses a mismatched image size, a corrupt image and a malformed topology with coded errors, and leaves nothing half-written', async () => {
    const data = await tempDir('rgb-bad');
    const cache = await tempDir('rgb-bad-cache');
    const src = await tempDir('functional-bad');
    const out = join(await tempDir('functional-bad-out'), 'run');
    const classes = await colourFolders(data, { train: 4, test: 2 });
    const model = functionalModel(classes.length);
    const topology = model.toJSON(undefined, false) as { config: { layers: { name: string; inbound_nodes: unknown[][][] }[] } };
    await writeFile(join(src, 'model.json'), JSON.stringify({ modelTopology: topology }));
    model.dispose();
    const env = { DTRAIN_CACHE: cache };
    const train = (dataset: string, file = 'model.json'): Promise<{ code: number; stderr: string[] }> =>
      runDtrain(['train', '--model', join(src, file), '--dataset', dataset, '--epochs', '1', '--out', out, '--json'], 60_000, env);
    const small = await train(`folder,size=28x28:${data}`);
    expect(small.code).toBe(2);
    expect(small.stderr.join('\n')).toMatch(/CONFIG_ERR_BAD_VALUE.*the model takes 32×32×3 inputs, the dataset has 28×28×3 images/);
    await writeFile(join(data, 'train', 'red', 'red-0.png'), Buffer.from('not a png at all'));
    const corrupt = await train(`folder:${data}`);
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr.join('\n')).toMatch(/DATA_ERR_BAD_IMAGE.*red-0\.png/);
    // A layer that reads a layer the model does not have.
    const broken = structuredClone(topology);
    const res = broken.config.layers.find((l) => l.name === 'res')!;
    res.inbound_nodes = [[['a', 0, 0, {}], ['nowhere', 0, 0, {}]]];
    await writeFile(join(src, 'broken.json'), JSON.stringify({ modelTopology: broken }));
    const malformed = await train(`folder,skip-bad:${data}`, 'broken.json');
    expect(malformed.code).toBe(1);
    expect(malformed.stderr.join('\n')).toMatch(/MODEL_ERR_BAD_CONFIG.*res reading nowhere/);
    // None of the refused runs left a model (or anything else) in --out.
    await expect(readdir(out)).rejects.toMatchObject({ code: 'ENOENT' });
  }, 200_000);
});
