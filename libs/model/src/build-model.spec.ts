import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from './build-model';
import { modelConfig } from './model-config';
import { sameFloats } from './testing';
import { getFlatWeights, weightManifest } from './weight-manifest';

describe('buildModel', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('is deterministic per seed and differs across seeds', () => {
    const [a, b, c] = [1, 1, 2].map((seed) => buildModel(modelConfig('cnn'), { seed }));
    const wa = getFlatWeights(a!);
    expect(sameFloats(getFlatWeights(b!), wa)).toBe(true);
    expect(sameFloats(getFlatWeights(c!), wa)).toBe(false);
    [a, b, c].forEach((m) => m!.dispose());
  });

  it('uses Glorot-uniform kernels and zero biases', () => {
    const model = buildModel(modelConfig('cnn'), { seed: 3 });
    const flat = getFlatWeights(model);
    for (const e of weightManifest(model).entries) {
      const v = flat.subarray(e.offset, e.offset + e.size);
      if (e.name.endsWith('bias')) {
        expect(v.every((x) => x === 0)).toBe(true);
        continue;
      }
      const receptive = e.shape.slice(0, -2).reduce((x, y) => x * y, 1);
      const limit = Math.sqrt(6 / ((e.shape.at(-2)! + e.shape.at(-1)!) * receptive));
      const maxAbs = v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      expect(maxAbs).toBeLessThanOrEqual(limit);
      expect(maxAbs).toBeGreaterThan(limit * 0.9);
    }
    model.dispose();
  });

  it('validates the config first', () => {
    expect(() => buildModel({ ...modelConfig('cnn'), layers: [] })).toThrow(expect.objectContaining({ code: 'MODEL_ERR_BAD_CONFIG' }));
  });
});

describe('buildModel refuses absurd configs before allocating', () => {
  const base = modelConfig('cnn');
  it('refuses more weights than the limit (a 60,000-unit dense layer), naming the count', () => {
    const layers = base.layers.map((l) => (l.kind === 'dense' && l.name !== base.layers.at(-1)!.name ? { ...l, units: 60_000 } : l));
    const before = tf.memory().numBytes;
    expect(() => buildModel({ ...base, layers }, { maxParameters: 10_000_000 })).toThrow(expect.objectContaining({ code: 'MODEL_ERR_BAD_CONFIG', details: expect.objectContaining({ limit: 10_000_000 }) }));
    expect(tf.memory().numBytes).toBe(before);
  });

  it('refuses a window larger than its input', () => {
    const layers = [{ kind: 'conv2d' as const, name: 'c', filters: 4, kernelSize: 40 }, ...base.layers.slice(1)];
    expect(() => buildModel({ ...base, layers })).toThrow(expect.objectContaining({ code: 'MODEL_ERR_BAD_CONFIG', details: { layer: 'c' } }));
  });
});
