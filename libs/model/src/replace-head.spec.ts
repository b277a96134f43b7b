import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from './build-model';
import { predictClasses } from './predict-classes';
import { headLayerName, replaceHead } from './replace-head';
import { fakeBatch, sameFloats, smallConfig } from './testing';
import { getFlatWeights, weightManifest } from './weight-manifest';

describe('replaceHead', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('keeps every body weight, gives the head numClasses fresh units, and leaves the source alone', () => {
    const source = buildModel(smallConfig(), { seed: 7 });
    const before = getFlatWeights(source);
    const { model, config } = replaceHead(source, 3, { seed: 11 });
    expect(headLayerName(config)).toBe('out');
    expect(config.numClasses).toBe(3);
    expect(config.layers.at(-1)).toMatchObject({ kind: 'dense', units: 3, activation: 'softmax' });
    const src = weightManifest(source);
    const dst = weightManifest(model);
    const flat = getFlatWeights(model);
    for (const e of dst.entries) {
      const s = src.entries.find((x) => x.name === e.name)!;
      const mine = flat.subarray(e.offset, e.offset + e.size);
      if (e.name.startsWith('out/')) {
        expect(e.shape.at(-1)).toBe(3);
        if (e.name.endsWith('kernel')) expect(mine.some((x) => x !== 0)).toBe(true);
        else expect(mine.every((x) => x === 0)).toBe(true);
      } else expect(sameFloats(mine, before.subarray(s.offset, s.offset + s.size))).toBe(true);
    }
    expect(sameFloats(getFlatWeights(source), before)).toBe(true);
    const { images } = fakeBatch(4, 12 * 12 * 2, 3);
    const { probs } = predictClasses(model, images, 4, 4);
    expect(probs.length).toBe(4 * 3);
    source.dispose();
    model.dispose();
  });

  it('is deterministic per seed (the new head is the one buildModel would make)', () => {
    const source = buildModel(smallConfig(), { seed: 1 });
    const a = replaceHead(source, 4, { seed: 5 });
    const b = replaceHead(source, 4, { seed: 5 });
    const c = replaceHead(source, 4, { seed: 6 });
    expect(sameFloats(getFlatWeights(a.model), getFlatWeights(b.model))).toBe(true);
    expect(sameFloats(getFlatWeights(a.model), getFlatWeights(c.model))).toBe(false);
    [source, a.model, b.model, c.model].forEach((m) => m.dispose());
  });

  it('refuses fewer than two classes', () => {
    const source = buildModel(smallConfig());
    expect(() => replaceHead(source, 1)).toThrow(expect.objectContaining({ code: 'MODEL_ERR_BAD_CONFIG' }));
    source.dispose();
  });
});
