import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from './build-model';
import { modelConfig } from './model-config';
import { parameterCount } from './parameter-count';
import { smallConfig } from './testing';
import { weightManifest } from './weight-manifest';

describe('parameterCount', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each([
    ['cnn', modelConfig('cnn')],
    ['cnn-large', modelConfig('cnn-large')],
    ['cnn with 3 classes', modelConfig('cnn', 3)],
    ['small (same padding, stride 2, dropout)', smallConfig()],
  ])('equals the built model’s flat weight length: %s', (_, cfg) => {
    const model = buildModel(cfg);
    expect(parameterCount(cfg)).toBe(weightManifest(model).totalSize);
    model.dispose();
  });

  it('knows the model of record by heart (PyTorch peer: 225,034)', () => {
    expect(parameterCount(modelConfig('cnn'))).toBe(225_034);
  });

  it('refuses an invalid config', () => {
    expect(() => parameterCount({ ...modelConfig('cnn'), numClasses: 1 })).toThrow(expect.objectContaining({ code: 'MODEL_ERR_BAD_CONFIG' }));
  });
});
