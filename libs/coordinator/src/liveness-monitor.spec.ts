import { describe, expect, it } from 'vitest';
import { ManualClock } from '@dtrain/common/testing';
import type { Member, Peer } from './member';
import { newStats } from './member';
import { LivenessMonitor } from './liveness-monitor';

const member = (workerId: string, lastSeen: number): Member => ({
  workerId,
  session: 'session',
  joinOrder: 1,
  peer: { id: 1, remote: 'test', send: () => undefined, close: () => undefined } as unknown as Peer,
  state: 'active',
  joinedAt: 0,
  lastSeen,
  knownVersion: -1,
  inflight: undefined,
  clock: 0,
  backend: 'cpu',
  takesPacked: false,
  stats: newStats(),
});

function setup(members: Member[], paused = false) {
  const clock = new ManualClock();
  const lost: { id: string; silentMs: number }[] = [];
  const mon = new LivenessMonitor({
    clock,
    heartbeatMs: 200,
    heartbeatTimeoutMs: 1_000,
    members: () => members,
    paused: () => paused,
    timedOut: (m, silentMs) => {
      m.state = 'lost';
      lost.push({ id: m.workerId, silentMs });
    },
  });
  mon.start();
  return { clock, lost, mon };
}

describe('LivenessMonitor', () => {
  it('reports a member silent for longer than the timeout, not one silent for exactly the timeout', () => {
    const a = member('a', 0);
    const b = member('b', 0);
    const { clock, lost } = setup([a, b]);
    for (let t = 0; t < 1_000; t += 100) {
      clock.advance(100);
      b.lastSeen = clock.monotonic();
    }
    expect(lost).toEqual([]);
    clock.advance(100);
    expect(lost).toEqual([{ id: 'a', silentMs: 1_100 }]);
  });

  it('blames nobody while paused, and counts silence again from then on', () => {
    const a = member('a', 0);
    const members = [a];
    let paused = true;
    const clock = new ManualClock();
    const lost: string[] = [];
    const mon = new LivenessMonitor({ clock, heartbeatMs: 200, heartbeatTimeoutMs: 1_000, members: () => members, paused: () => paused, timedOut: (m) => void lost.push(m.workerId) });
    mon.start();
    clock.advance(3_000);
    expect(lost).toEqual([]);
    paused = false;
    // The pause left it one check period of silence.
    clock.advance(900);
    expect(lost).toEqual([]);
    clock.advance(100);
    expect(lost).toEqual(['a']);
  });

  it('blames nobody when its own check ran late (a stalled event loop)', () => {
    // A clock whose monotonic time jumps, as it does for a process that was blocked: timers fire late.
    class StallingClock extends ManualClock {
      stalled = 0;
      override monotonic(): number {
        return super.monotonic() + this.stalled;
      }
    }
    const clock = new StallingClock();
    const a = member('a', 0);
    const lost: string[] = [];
    new LivenessMonitor({ clock, heartbeatMs: 200, heartbeatTimeoutMs: 1_000, members: () => [a], paused: () => false, timedOut: (m) => void lost.push(m.workerId) }).start();
    clock.stalled = 5_000;
    clock.advance(100);
    expect(lost).toEqual([]);
    expect(a.lastSeen).toBe(5_000);
  });

  it('stops checking once stopped', () => {
    const a = member('a', 0);
    const { clock, lost, mon } = setup([a]);
    mon.stop();
    clock.advance(10_000);
    expect(lost).toEqual([]);
    expect(clock.timerCount).toBe(0);
  });
});
