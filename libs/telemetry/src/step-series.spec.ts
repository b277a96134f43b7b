import { describe, expect, it } from 'vitest';
import type { StepPoint } from './run-snapshot';
import { StepSeries } from './step-series';

const point = (step: number): StepPoint => ({ step, epoch: 1, t: step, loss: 1 / step, samples: 1, stepMs: 1 });

describe('StepSeries', () => {
  it('keeps every point up to max', () => {
    const s = new StepSeries(8);
    for (let i = 1; i <= 8; i++) expect(s.add(point(i))).toBe(true);
    expect(s.all.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(s.currentStride).toBe(1);
  });

  it('halves past max and then keeps only every stride-th step, spanning the whole run', () => {
    const s = new StepSeries(8);
    const kept: number[] = [];
    for (let i = 1; i <= 100; i++) if (s.add(point(i))) kept.push(i);
    expect(s.all.length).toBeLessThanOrEqual(8);
    expect(s.all[0]!.step).toBe(1);
    expect(s.all.at(-1)!.step).toBeGreaterThan(80);
    const steps = s.all.map((p) => p.step);
    const gaps = new Set(steps.slice(1).map((v, i) => v - steps[i]!));
    expect(gaps.size).toBe(1);
    expect([...gaps][0]).toBe(s.currentStride);
    // Viewers were sent a bounded number of points in total, not all 100.
    expect(kept.length).toBeLessThan(30);
  });

  it('refuses a max below 2', () => {
    expect(() => new StepSeries(1)).toThrow(RangeError);
  });
});
