import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from './build-model';
import { modelConfig } from './model-config';
import { validateModelConfig } from './validate-model-config';

describe('modelConfig', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it("'cnn' has the PyTorch reference stack's 225,034 parameters", () => {
    const model = buildModel(modelConfig('cnn'));
    expect(model.countParams()).toBe(225_034);
    expect(model.outputs[0]?.shape).toEqual([null, 10]);
    model.dispose();
  });

  it("'cnn-large' has between 1 and 5 million parameters and dropout", () => {
    const cfg = modelConfig('cnn-large', 7);
    const model = buildModel(cfg);
    expect(model.countParams()).toBeGreaterThan(1_000_000);
    expect(model.countParams()).toBeLessThan(5_000_000);
    expect(cfg.layers.some((l) => l.kind === 'dropout')).toBe(true);
    expect(model.outputs[0]?.shape).toEqual([null, 7]);
    model.dispose();
  });

  it('is plain JSON that validates unchanged', () => {
    for (const name of ['cnn', 'cnn-large'] as const) {
      const cfg = modelConfig(name);
      expect(validateModelConfig(JSON.parse(JSON.stringify(cfg)))).toEqual(cfg);
    }
  });
});
