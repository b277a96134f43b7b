import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from './build-model';
import { modelConfig } from './model-config';
import { predictClasses } from './predict-classes';
import { fakeBatch, smallConfig } from './testing';

describe('predictClasses', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('agrees with model.predict across batch boundaries (dropout off)', () => {
    const model = buildModel(smallConfig(), { seed: 9 });
    const { images } = fakeBatch(5, 288, 10);
    const { classes, probs } = predictClasses(model, images, 5, 2);
    const want = tf.tidy(() => model.predict(tf.tensor4d(images, [5, 12, 12, 2])) as tf.Tensor);
    const wantProbs = want.dataSync();
    let maxDiff = 0;
    for (let i = 0; i < probs.length; i++) maxDiff = Math.max(maxDiff, Math.abs(probs[i]! - wantProbs[i]!));
    expect(maxDiff).toBeLessThan(1e-5);
    expect(Array.from(classes)).toEqual(Array.from(tf.tidy(() => want.argMax(1).dataSync())));
    want.dispose();
    model.dispose();
  });

  it('rejects too few image values', () => {
    const model = buildModel(modelConfig('cnn'));
    expect(() => predictClasses(model, new Float32Array(10), 1)).toThrow(expect.objectContaining({ code: 'MODEL_ERR_BAD_INPUT' }));
    model.dispose();
  });
});
