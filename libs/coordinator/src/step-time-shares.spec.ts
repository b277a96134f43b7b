import { describe, expect, it } from 'vitest';
import { equalTimeShares, equalTimeSplit, roundShares, StepTimeFit } from './step-time-shares';

describe('StepTimeFit', () => {
  it('has no model before its first step', () => {
    expect(new StepTimeFit().model()).toBeUndefined();
  });

  it('recovers fixed + per-sample cost once the shares have varied', () => {
    const fit = new StepTimeFit({ decay: 1, prior: 0 });
    for (const b of [64, 40, 26, 50, 30]) fit.add(b, 40 + 1.5 * b);
    const m = fit.model()!;
    expect(m.fixedMs).toBeCloseTo(40, 6);
    expect(m.perSampleMs).toBeCloseTo(1.5, 6);
  });

  it('falls back to a line through the origin while the share has not moved', () => {
    const fit = new StepTimeFit();
    for (let i = 0; i < 5; i++) fit.add(64, 128);
    expect(fit.model()).toEqual({ fixedMs: 0, perSampleMs: 2 });
  });

  it('predicts the recent mean time at the recent share, whatever the slope', () => {
    const fit = new StepTimeFit({ decay: 1, prior: 1e9 });
    fit.add(30, 100);
    fit.add(34, 80);
    const m = fit.model()!;
    expect(m.fixedMs + m.perSampleMs * 32).toBeCloseTo(90, 6);
  });

  it('keeps the fixed cost non-negative and the slope positive', () => {
    const rising = new StepTimeFit({ decay: 1, prior: 0 });
    for (const b of [10, 20, 30]) rising.add(b, 5 * b - 40);
    expect(rising.model()!.fixedMs).toBeGreaterThanOrEqual(0);
    const falling = new StepTimeFit({ decay: 1, prior: 0 });
    for (const b of [10, 20, 30]) falling.add(b, 100 - b);
    expect(falling.model()!.perSampleMs).toBeGreaterThan(0);
  });

  it('forgets old steps', () => {
    const fit = new StepTimeFit({ decay: 0.5, prior: 0 });
    fit.add(64, 1000);
    for (let i = 0; i < 40; i++) fit.add(64, 64);
    expect(fit.model()!.perSampleMs).toBeCloseTo(1, 6);
  });

  it('ignores empty or non-finite steps', () => {
    const fit = new StepTimeFit();
    fit.add(0, 10);
    fit.add(10, NaN);
    fit.add(10, -1);
    expect(fit.model()).toBeUndefined();
    expect(fit.steps).toBe(0);
  });
});

describe('equalTimeSplit', () => {
  it('equalises the predicted step times', () => {
    const models = [
      { fixedMs: 5, perSampleMs: 0.8 },
      { fixedMs: 40, perSampleMs: 1.6 },
    ];
    const [a, b] = equalTimeSplit(128, models) as [number, number];
    expect(a + b).toBeCloseTo(128, 9);
    expect(5 + 0.8 * a).toBeCloseTo(40 + 1.6 * b, 9);
  });

  it('is the proportional split when there is no fixed cost', () => {
    const s = equalTimeSplit(120, [
      { fixedMs: 0, perSampleMs: 1 },
      { fixedMs: 0, perSampleMs: 2 },
    ]);
    expect(s[0]).toBeCloseTo(80, 9);
    expect(s[1]).toBeCloseTo(40, 9);
  });

  it('pins a member whose fixed cost alone exceeds the others’ step at the minimum', () => {
    const s = equalTimeSplit(64, [
      { fixedMs: 1, perSampleMs: 1 },
      { fixedMs: 500, perSampleMs: 1 },
      { fixedMs: 1, perSampleMs: 1 },
    ]);
    expect(s[1]).toBe(1);
    expect(s[0]).toBeCloseTo(31.5, 9);
    expect(s[2]).toBeCloseTo(31.5, 9);
  });

  it('splits evenly when there are not enough samples for the minimum', () => {
    expect(equalTimeSplit(2, [{ fixedMs: 0, perSampleMs: 1 }, { fixedMs: 0, perSampleMs: 1 }])).toEqual([1, 1]);
    expect(equalTimeSplit(5, [])).toEqual([]);
  });
});

describe('roundShares', () => {
  it('keeps the sum, the largest remainders rounding up', () => {
    expect(roundShares(10, [3.4, 3.3, 3.3])).toEqual([4, 3, 3]);
    expect(roundShares(128, [100.6, 27.4])).toEqual([101, 27]);
  });
});

describe('equalTimeShares', () => {
  it('sums to the batch, every member keeping a sample', () => {
    const models = [
      { fixedMs: 2, perSampleMs: 0.3 },
      { fixedMs: 300, perSampleMs: 3 },
      { fixedMs: 10, perSampleMs: 1 },
    ];
    for (const n of [3, 64, 127, 191]) {
      const s = equalTimeShares(n, models)!;
      expect(s.reduce((a, b) => a + b)).toBe(n);
      expect(Math.min(...s)).toBeGreaterThanOrEqual(1);
    }
  });

  it('gives no split while a member is unmeasured or samples are short', () => {
    expect(equalTimeShares(64, [{ fixedMs: 1, perSampleMs: 1 }, undefined])).toBeUndefined();
    expect(equalTimeShares(1, [{ fixedMs: 1, perSampleMs: 1 }, { fixedMs: 1, perSampleMs: 1 }])).toBeUndefined();
    expect(equalTimeShares(10, [])).toBeUndefined();
  });
});
