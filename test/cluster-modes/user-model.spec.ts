import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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
    const bn = tf.sequential();
    bn.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, name: 'c' }));
    bn.add(tf.layers.batchNormalization({ name: 'bn' }));
    bn.add(tf.layers.flatten({ name: 'f' }));
    bn.add(tf.layers.dense({ units: 10, name: 'out' }));
    await writeFile(join(dir, 'bn.json'), JSON.stringify({ modelTopology: bn.toJSON(undefined, false) }));
    bn.dispose();
    const refused = await runDtrain(['train', '--model', join(dir, 'bn.json'), '--epochs', '1', '--train-limit', '64', '--json'], 60_000);
    expect(refused.code).toBe(1);
    expect(refused.stderr.join('\n')).toMatch(/MODEL_ERR_BAD_CONFIG.*bn \(BatchNormalization\)/);
  }, 200_000);
});
