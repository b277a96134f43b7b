import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from './build-model';
import { modelConfig } from './model-config';
import { loadModel, saveModel } from './model-io';
import { predictClasses } from './predict-classes';
import { fakeBatch, sameFloats } from './testing';
import { getFlatWeights } from './weight-manifest';

let root: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'dtrain-model-io-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** What tfjs-node's file:// handler writes for LayersModel.save: model.json + weights.bin, no metadata of ours. */
async function stockSave(model: tf.LayersModel, dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      await fs.writeFile(path.join(dir, 'weights.bin'), new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData!)));
      const json = { modelTopology: a.modelTopology, format: a.format, generatedBy: a.generatedBy, convertedBy: null, weightsManifest: [{ paths: ['./weights.bin'], weights: a.weightSpecs }] };
      await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
}

describe('saveModel / loadModel', () => {
  it('leaves no temporary file behind when a write fails (MODEL_ERR_SAVE)', async () => {
    const dir = path.join(root, 'unwritable');
    await fs.mkdir(dir, { recursive: true });
    // A directory where model.json should go: its rename fails after the temporary file was written.
    await fs.mkdir(path.join(dir, 'model.json'));
    await fs.writeFile(path.join(dir, 'model.json', 'keep'), 'x');
    const model = buildModel(modelConfig('cnn'));
    await expect(saveModel(model, dir)).rejects.toMatchObject({ code: 'MODEL_ERR_SAVE' });
    model.dispose();
    expect((await fs.readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('reloads identical weights, predictions, config and metadata', async () => {
    const cfg = modelConfig('cnn');
    const model = buildModel(cfg, { seed: 11 });
    const dir = path.join(root, 'ours');
    await saveModel(model, dir, { epoch: 3, accuracy: 0.91 });
    const loaded = await loadModel(dir);
    expect(sameFloats(getFlatWeights(loaded.model), getFlatWeights(model))).toBe(true);
    expect(loaded.config).toEqual(cfg);
    expect(loaded.meta).toEqual({ epoch: 3, accuracy: 0.91 });
    const { images } = fakeBatch(3, 784, 10);
    expect(sameFloats(predictClasses(loaded.model, images, 3).probs, predictClasses(model, images, 3).probs)).toBe(true);
    expect((await fs.readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']); // no temp files left
    model.dispose();
    loaded.model.dispose();
  });

  it('writes a model.json that stock tf.loadLayersModel(tf.io.fromMemory(...)) reads', async () => {
    const model = buildModel(modelConfig('cnn'), { seed: 12 });
    const dir = path.join(root, 'interop');
    await saveModel(model, dir);
    const json = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
    const bin = await fs.readFile(path.join(dir, json.weightsManifest[0]!.paths[0]!));
    const stock = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0]!.weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer }),
    );
    expect(sameFloats(getFlatWeights(stock), getFlatWeights(model))).toBe(true);
    model.dispose();
    stock.dispose();
  });

  it('loads a model saved by stock LayersModel.save and derives its config', async () => {
    const cfg = modelConfig('cnn-large');
    const model = buildModel(cfg, { seed: 13 });
    const dir = path.join(root, 'stock');
    await stockSave(model, dir);
    const loaded = await loadModel(dir);
    expect(loaded.config.layers).toEqual(
      cfg.layers.map((l) => (l.kind === 'maxPool2d' ? { ...l, strides: l.poolSize } : l.kind === 'conv2d' ? { strides: 1, ...l } : l)),
    );
    expect(loaded.meta).toEqual({});
    expect(sameFloats(getFlatWeights(loaded.model), getFlatWeights(model))).toBe(true);
    model.dispose();
    loaded.model.dispose();
  });

  it.each<[string, (dir: string) => Promise<void>]>([
    ['a missing directory', async () => {}],
    ['corrupt model.json', async (dir) => fs.writeFile(path.join(dir, 'model.json'), '{not json')],
    ['missing weights', async (dir) => fs.rm(path.join(dir, 'weights.bin'))],
    ['truncated weights', async (dir) => fs.truncate(path.join(dir, 'weights.bin'), 100)],
    ['weights path escaping the directory', async (dir) => {
      const j = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8'));
      j.weightsManifest[0].paths = ['../../etc/passwd'];
      await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify(j));
    }],
    ...(['a number', 'null', 'paths not an array', 'weights missing', 'a path that is not a string'] as const).map(
      (what): [string, (dir: string) => Promise<void>] => [
        `a weightsManifest group that is ${what}`,
        async (dir) => {
          const j = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8'));
          const g = j.weightsManifest[0];
          j.weightsManifest[0] =
            what === 'a number' ? 3 : what === 'null' ? null : what === 'paths not an array' ? { ...g, paths: 'weights.bin' } : what === 'weights missing' ? { paths: g.paths } : { ...g, paths: [7] };
          await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify(j));
        },
      ],
    ),
  ])('fails with MODEL_ERR_LOAD on %s', async (name, damage) => {
    const dir = path.join(root, `bad-${name.replace(/\W+/g, '-')}`);
    if (name !== 'a missing directory') {
      const model = buildModel(modelConfig('cnn'));
      await saveModel(model, dir);
      model.dispose();
    }
    await damage(dir);
    await expect(loadModel(dir)).rejects.toMatchObject({ code: 'MODEL_ERR_LOAD' });
  });
});
