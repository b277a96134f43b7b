import { describe, expect, it } from 'vitest';
import { ManualClock } from '@dtrain/common/testing';
import { ReconnectSchedule } from './reconnect-schedule';

const policy = { initialDelayMs: 100, maxDelayMs: 1_000, factor: 2, giveUpAfterMs: 5_000 };

describe('ReconnectSchedule', () => {
  it('does not count time spent connected towards giving up', () => {
    const clock = new ManualClock();
    const s = new ReconnectSchedule(policy, clock, () => 1);
    s.joined();
    clock.advance(60 * 60_000); // an hour of training
    expect(s.next()).toBe(100);
  });

  it('backs off exponentially while the server is gone and gives up after giveUpAfterMs', () => {
    const clock = new ManualClock();
    const s = new ReconnectSchedule(policy, clock, () => 1);
    const delays: number[] = [];
    for (;;) {
      const d = s.next();
      if (d === undefined) break;
      delays.push(d);
      clock.advance(d);
    }
    expect(delays.slice(0, 5)).toEqual([100, 200, 400, 800, 1_000]);
    expect(s.downForMs).toBeGreaterThan(5_000);
    expect(s.downForMs).toBeLessThanOrEqual(6_000);
  });

  it('keeps backing off when sockets open but joins are refused, and resets on a welcome', () => {
    const clock = new ManualClock();
    const s = new ReconnectSchedule(policy, clock, () => 1);
    expect([s.next(), s.next(), s.next()]).toEqual([100, 200, 400]);
    s.joined();
    expect(s.next()).toBe(100);
    expect(s.downForMs).toBe(0);
  });

  it('never gives up with giveUpAfterMs 0', () => {
    const clock = new ManualClock();
    const s = new ReconnectSchedule({ ...policy, giveUpAfterMs: 0 }, clock, () => 1);
    s.next();
    clock.advance(24 * 3_600_000);
    expect(s.next()).toBe(200);
  });
});
