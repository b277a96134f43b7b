import { describe, expect, it } from 'vitest';
import { parseLrSchedule, scheduledLearningRate } from './lr-schedule';

describe('learning-rate schedules', () => {
  it('constant keeps the base rate', () => {
    const s = parseLrSchedule('constant');
    expect([0, 1.5, 5].map((p) => scheduledLearningRate(s, 1e-3, p, 5))).toEqual([1e-3, 1e-3, 1e-3]);
  });

  it('cosine decays from the base rate to 0 at the last epoch, half way at the middle', () => {
    const s = parseLrSchedule('cosine');
    expect(scheduledLearningRate(s, 1e-3, 0, 4)).toBeCloseTo(1e-3, 12);
    expect(scheduledLearningRate(s, 1e-3, 2, 4)).toBeCloseTo(5e-4, 12);
    expect(scheduledLearningRate(s, 1e-3, 4, 4)).toBeCloseTo(0, 12);
    expect(scheduledLearningRate(s, 1e-3, 9, 4)).toBeCloseTo(0, 12);
  });

  it('cosine:W warms up linearly over W epochs first', () => {
    const s = parseLrSchedule('cosine:0.5');
    expect(s).toEqual({ kind: 'cosine', warmupEpochs: 0.5 });
    expect(scheduledLearningRate(s, 1e-3, 0, 5)).toBe(0);
    expect(scheduledLearningRate(s, 1e-3, 0.25, 5)).toBeCloseTo(5e-4, 12);
    expect(scheduledLearningRate(s, 1e-3, 0.5, 5)).toBeCloseTo(1e-3, 12);
    expect(scheduledLearningRate(s, 1e-3, 2.75, 5)).toBeCloseTo(5e-4, 12);
  });

  it('step:E:G multiplies by G every E epochs', () => {
    const s = parseLrSchedule('step:2:0.5');
    expect([0, 1.99, 2, 4.5].map((p) => scheduledLearningRate(s, 1, p, 6))).toEqual([1, 1, 0.5, 0.25]);
  });

  it.each(['', 'cos', 'cosine:-1', 'cosine:x', 'cosine:1:2', 'step', 'step:0:0.5', 'step:1:0', 'step:1:1.5', 'constant:1'])(
    "refuses '%s' with TRAIN_ERR_BAD_OPTIMIZER",
    (spec) => {
      expect(() => parseLrSchedule(spec)).toThrow(expect.objectContaining({ code: 'TRAIN_ERR_BAD_OPTIMIZER' }));
    },
  );
});
