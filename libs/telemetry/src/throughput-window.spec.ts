import { describe, expect, it } from 'vitest';
import { ThroughputWindow } from './throughput-window';

describe('ThroughputWindow', () => {
  it('is 0 until two events are in', () => {
    const w = new ThroughputWindow(10_000);
    expect(w.rate(0)).toBe(0);
    w.add(0, 100);
    expect(w.rate(500)).toBe(0);
  });

  it('counts the samples after the first event over the time since it', () => {
    const w = new ThroughputWindow(10_000);
    w.add(0, 100);
    w.add(1000, 100);
    w.add(2000, 100);
    expect(w.rate(2000)).toBe(100);
    // Time passing without steps lowers the rate: a stall shows.
    expect(w.rate(4000)).toBe(50);
  });

  it('forgets events older than the window', () => {
    const w = new ThroughputWindow(1000);
    w.add(0, 1_000_000);
    w.add(100, 10);
    w.add(1050, 10);
    w.add(1100, 10);
    // The 1,000,000 at t=0 and the 10 at t=100 left the window at t=1100 and 1101+.
    expect(w.rate(1100)).toBeCloseTo(20 / 1, 5);
    expect(w.rate(2050)).toBeCloseTo((10 / 1000) * 1000, 5);
  });

  it('keeps its memory bounded on long runs', () => {
    const w = new ThroughputWindow(10);
    for (let t = 0; t < 100_000; t++) w.add(t, 1);
    expect(w.rate(99_999)).toBeCloseTo(1000, 0);
    expect((w as unknown as { times: number[] }).times.length).toBeLessThan(3000);
  });
});
