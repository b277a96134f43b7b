import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from './build-model';
import { modelConfig } from './model-config';
import { sameFloats } from './testing';
import { getFlatWeights, setFlatWeights, weightManifest } from './weight-manifest';

describe('weight manifest and flat weights', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('lists model.weights in order with contiguous offsets and stable names', () => {
    const a = buildModel(modelConfig('cnn'));
    const b = buildModel(modelConfig('cnn')); // TF.js renames this one's variables conv1/kernel_1 …
    const m = weightManifest(a);
    expect(m.entries.map((e) => e.name)).toEqual([
      'conv1/kernel', 'conv1/bias', 'conv2/kernel', 'conv2/bias', 'fc1/kernel', 'fc1/bias', 'logits/kernel', 'logits/bias',
    ]);
    expect(weightManifest(b)).toEqual(m);
    let offset = 0;
    for (const e of m.entries) {
      expect(e.offset).toBe(offset);
      expect(e.size).toBe(e.shape.reduce((x, y) => x * y, 1));
      offset += e.size;
    }
    expect(m.totalSize).toBe(225_034);
    a.dispose();
    b.dispose();
  });

  it('set then get round-trips exactly, into a caller buffer too', () => {
    const model = buildModel(modelConfig('cnn'));
    const flat = Float32Array.from({ length: 225_034 }, (_, i) => Math.sin(i));
    setFlatWeights(model, flat);
    expect(sameFloats(getFlatWeights(model), flat)).toBe(true);
    const out = new Float32Array(225_034);
    expect(getFlatWeights(model, out)).toBe(out);
    expect(sameFloats(out, flat)).toBe(true);
    model.dispose();
  });

  it('rejects wrong sizes with MODEL_ERR_SIZE_MISMATCH (one short, one long)', () => {
    const model = buildModel(modelConfig('cnn'));
    expect(() => setFlatWeights(model, new Float32Array(225_033))).toThrow(expect.objectContaining({ code: 'MODEL_ERR_SIZE_MISMATCH' }));
    expect(() => setFlatWeights(model, new Float32Array(225_035))).toThrow(expect.objectContaining({ code: 'MODEL_ERR_SIZE_MISMATCH' }));
    expect(() => getFlatWeights(model, new Float32Array(3))).toThrow(expect.objectContaining({ code: 'MODEL_ERR_SIZE_MISMATCH' }));
    model.dispose();
  });

  it('does not leak tensors when weights are replaced', () => {
    const model = buildModel(modelConfig('cnn'));
    const flat = getFlatWeights(model);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) setFlatWeights(model, flat);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
