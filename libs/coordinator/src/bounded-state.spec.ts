import { describe, expect, it } from 'vitest';
import { silentLogger } from '@dtrain/common';
import { ManualClock } from '@dtrain/common/testing';
import type { Push } from '@dtrain/protocol';
import type { Member, Peer } from './member';
import { Membership } from './membership';
import { PushLedger } from './push-ledger';
import { RunAccounting } from './run-accounting';

// What the server remembers per push and per member must not grow with the length of the run.

const clock = new ManualClock(0);
const peer = (id: number): Peer => ({ id, remote: '127.0.0.1', send: () => undefined, close: () => undefined });
const caps = { backend: 'cpu', compression: ['none'] } as Parameters<Membership['add']>[2];

describe('PushLedger', () => {
  const push = (workerId: string, step: number): Push => ({ type: 'push', v: 1, workerId, step, baseVersion: 0, samples: 1, loss: 0, grad: { codec: 'fp32', length: 2, data: new Uint8Array(8) } }) as unknown as Push;

  it('keeps a window of applied keys, evicting the oldest', () => {
    const ledger = new PushLedger({ sizes: { full: 2, packed: undefined }, window: 100 });
    for (let i = 0; i < 10_000; i++) ledger.markApplied(PushLedger.key('w', i));
    expect(ledger.size).toBe(100);
    expect(ledger.snapshot()[0]).toBe('w#9900');
  });

  it('refuses a replay inside the window as duplicate and one beyond it as stale: never applied twice', () => {
    const members = new Membership({ clock: clock, log: silentLogger });
    const m: Member = members.add(peer(1), 'w', caps);
    const ledger = new PushLedger({ sizes: { full: 2, packed: undefined }, window: 2 });
    for (const step of [1, 2, 3]) {
      m.inflight = { step, baseVersion: 0, indices: new Uint32Array([step]), sentAt: 0, cancelled: false };
      const v = ledger.judge(m, push('w', step), 1);
      expect(v.kind).toBe('accepted');
      if (v.kind === 'accepted') ledger.markApplied(v.key);
    }
    expect(ledger.judge(m, push('w', 3), 2)).toMatchObject({ kind: 'refused', status: 'duplicate' });
    expect(ledger.judge(m, push('w', 1), 2)).toMatchObject({ kind: 'refused', status: 'stale' });
  });
});

describe('Membership', () => {
  it('forgets the oldest gone members beyond its bound, never an active one', () => {
    const members = new Membership({ clock: clock, log: silentLogger, goneKept: 10 });
    const keep = members.add(peer(0), 'stays', caps);
    for (let i = 1; i <= 3_000; i++) {
      const m = members.add(peer(i), `w${i}`, caps);
      members.remove(m, 'left', 'test');
    }
    expect(members.members.size).toBe(11);
    expect(members.get('stays')).toBe(keep);
    expect(members.get('w3000')?.state).toBe('left');
    expect(members.get('w1')).toBeUndefined();
  });
});

describe('RunAccounting', () => {
  it('keeps the newest applied-log entries and counts every applied push', () => {
    const acc = new RunAccounting({ clock: clock, version: () => 0, epoch: () => 0, appliedLogLimit: 1_000 });
    const members = new Membership({ clock: clock, log: silentLogger });
    const m = members.add(peer(1), 'w', caps);
    for (let step = 0; step < 10_000; step++) acc.applied(m, { workerId: 'w', step, baseVersion: step, staleness: step % 7, samples: 1, epoch: 0, stepMs: 1 });
    expect(acc.totals.appliedPushes).toBe(10_000);
    expect(acc.totals.appliedLog.length).toBeLessThanOrEqual(1_250);
    expect(acc.totals.appliedLog.at(-1)?.step).toBe(9_999);
    expect(acc.totals.maxStaleness).toBe(6);
    expect(acc.appliedTrimmed + acc.totals.appliedLog.length).toBe(10_000);
  });
});
