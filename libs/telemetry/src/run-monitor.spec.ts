import { describe, expect, it } from 'vitest';
import { ManualClock } from '@dtrain/common/testing';
import type { MonitorUpdate } from './run-monitor';
import { RunMonitor } from './run-monitor';
import { fakeMember, fakeReport, fakeRunInfo, fakeView } from './testing';

function monitor(clock = new ManualClock(0)) {
  const m = new RunMonitor(fakeRunInfo({ epochs: 2, samplesPerEpoch: 1000 }), clock, { statusIntervalMs: 1000, stepFlushMs: 250, throughputWindowMs: 10_000 });
  const updates: MonitorUpdate[] = [];
  m.subscribe((u) => updates.push(u));
  return { m, clock, updates };
}

describe('RunMonitor', () => {
  it('batches step points and sends them on the flush timer', () => {
    const { m, clock, updates } = monitor();
    m.start();
    m.recordStep({ step: 1, epoch: 0, loss: 2, samples: 100, stepMs: 50 });
    clock.advance(100);
    m.recordStep({ step: 2, epoch: 0, loss: 1.5, samples: 100, stepMs: 50 });
    expect(updates.filter((u) => u.type === 'steps')).toHaveLength(0);
    clock.advance(150);
    const steps = updates.filter((u) => u.type === 'steps');
    expect(steps).toHaveLength(1);
    expect(steps[0]!.type === 'steps' && steps[0]!.points.map((p) => p.step)).toEqual([1, 2]);
    m.stop();
  });

  it('computes throughput and ETA from the recent window', () => {
    const { m, clock } = monitor();
    for (let i = 1; i <= 5; i++) {
      m.recordStep({ step: i, epoch: 0, loss: 1, samples: 100, stepMs: 100 });
      if (i < 5) clock.advance(1000);
    }
    const s = m.status();
    // 400 samples after the first event over 4 s.
    expect(s.samplesPerSec).toBe(100);
    expect(s.samples).toBe(500);
    // 2 epochs × 1000 − 500 done = 1500 samples at 100/s.
    expect(s.etaSec).toBe(15);
    expect(s.epoch).toBe(1);
    expect(s.steps).toBe(5);
  });

  it('has no ETA before the rate is known', () => {
    const { m } = monitor();
    expect(m.status().etaSec).toBeNull();
    expect(m.status().state).toBe('waiting');
  });

  it('places an epoch evaluation at the current update with the epoch mean training loss', () => {
    const { m, updates } = monitor();
    m.recordStep({ step: 1, epoch: 0, loss: 3, samples: 100, stepMs: 1 });
    m.recordStep({ step: 2, epoch: 0, loss: 1, samples: 300, stepMs: 1 });
    const p = m.recordEpoch(0, fakeReport(0.7), fakeReport(0.6));
    expect(p).toMatchObject({ epoch: 1, step: 2, testLoss: 0.7, trainEvalLoss: 0.6, trainLoss: (3 * 100 + 1 * 300) / 400 });
    expect(p.testAccuracy).toBeCloseTo(0.8);
    expect(p.trainAccuracy).toBeCloseTo(0.8);
    // Steps recorded before the epoch are flushed before it (after the first state viewers are told), so viewers see them in order.
    expect(updates.map((u) => u.type)).toEqual(['status', 'steps', 'epoch']);
    const ev = updates[2]!;
    expect(ev.type === 'epoch' && ev.evaluation.html).toContain('data-testid="confusion"');
    // A new epoch starts a new mean.
    m.recordStep({ step: 3, epoch: 1, loss: 5, samples: 10, stepMs: 1 });
    expect(m.recordEpoch(1, fakeReport()).trainLoss).toBe(5);
    expect(m.recordEpoch(1, fakeReport()).trainAccuracy).toBeNull();
  });

  it('reads the worker table, bytes and state from the attached coordinator', () => {
    const clock = new ManualClock(5_000);
    const { m } = monitor(clock);
    const view = fakeView([
      fakeMember('b', 2, { applied: 3, bytesIn: 10, bytesOut: 20, lastStaleness: 1, maxStaleness: 2, dropped: 1 }, { lastSeen: 4_000 }),
      fakeMember('a', 1, {}, { state: 'lost' }),
      fakeMember('c', 3),
    ]);
    view.totals.bytesIn = 123;
    view.totals.rejectedFrames = { PS_ERR_STALE_PUSH: 2 };
    view.version = 9;
    m.attach(view, { runId: 'abc' });
    expect(m.info.runId).toBe('abc');
    const rows = m.workers();
    expect(rows.map((r) => r.id)).toEqual(['b', 'c', 'a']);
    expect(rows[0]).toMatchObject({ step: 3, bytesIn: 10, bytesOut: 20, lastStaleness: 1, maxStaleness: 2, dropped: 1, lastSeenMsAgo: 1000 });
    const s = m.status();
    expect(s).toMatchObject({ activeWorkers: 2, bytesIn: 123, version: 9, state: 'training', rejectedFrames: { PS_ERR_STALE_PUSH: 2 } });
  });

  it('caps the worker table: active members first, the oldest gone ones left out first, and counts the rest', () => {
    const clock = new ManualClock(0);
    const m = new RunMonitor(fakeRunInfo(), clock, { maxWorkerRows: 4 });
    const members = [fakeMember('a1', 1), fakeMember('a2', 5), fakeMember('a3', 6)];
    for (let i = 0; i < 3_000; i++) members.push(fakeMember(`g${i}`, 10 + i, {}, { state: 'lost' }));
    m.attach(fakeView(members));
    // At the cap, one row of gone members: the most recent one.
    expect(m.workers().map((r) => r.id)).toEqual(['a1', 'a2', 'a3', 'g2999']);
    expect(m.status().omittedWorkers).toBe(2_999);
    expect(m.snapshot().workers).toHaveLength(4);
    // One past the cap in active members: the latest-joined active member is the one left out.
    const crowded = new RunMonitor(fakeRunInfo(), clock, { maxWorkerRows: 2 });
    crowded.attach(fakeView([fakeMember('x', 3), fakeMember('y', 1), fakeMember('z', 2)]));
    expect(crowded.workers().map((r) => r.id)).toEqual(['y', 'z']);
    expect(crowded.status().omittedWorkers).toBe(1);
    // Under the cap nothing is left out.
    const roomy = new RunMonitor(fakeRunInfo(), clock, { maxWorkerRows: 3 });
    roomy.attach(fakeView([fakeMember('x', 3), fakeMember('y', 1), fakeMember('z', 2)]));
    expect(roomy.status().omittedWorkers).toBe(0);
  });

  it('sends status with workers on its timer', () => {
    const { m, clock, updates } = monitor();
    m.attach(fakeView([fakeMember('w1', 1)]));
    m.start();
    clock.advance(1000);
    const st = updates.filter((u) => u.type === 'status');
    expect(st).toHaveLength(1);
    expect(st[0]!.type === 'status' && st[0]!.workers.map((w) => w.id)).toEqual(['w1']);
    m.stop();
  });

  it('sends a changed run state ahead of the step batch that shows it, not a timer tick later', () => {
    const { m, clock, updates } = monitor();
    const view = fakeView([fakeMember('w1', 1)]);
    view.state = 'waiting';
    m.attach(view);
    m.start();
    clock.advance(1000);
    expect(updates.filter((u) => u.type === 'status').map((u) => u.type === 'status' && u.status.state)).toEqual(['waiting']);
    view.state = 'training';
    m.recordStep({ step: 1, epoch: 0, loss: 2, samples: 100, stepMs: 50 });
    clock.advance(250);
    const kinds = updates.map((u) => (u.type === 'status' ? `status:${u.status.state}` : u.type));
    expect(kinds.slice(-2)).toEqual(['status:training', 'steps']);
    // Unchanged state: the next batch goes out alone.
    m.recordStep({ step: 2, epoch: 0, loss: 2, samples: 100, stepMs: 50 });
    clock.advance(250);
    expect(updates.at(-1)!.type).toBe('steps');
    m.stop();
  });

  it('finishes once, with the final evaluation and summary, and stops its timers', () => {
    const { m, clock, updates } = monitor();
    m.start();
    m.recordEpoch(0, fakeReport());
    m.finish(undefined, { steps: 2 });
    m.finish(undefined, { steps: 3 });
    const finals = updates.filter((u) => u.type === 'final');
    expect(finals).toHaveLength(1);
    const f = finals[0]!;
    expect(f.type === 'final' && f.evaluation).toMatchObject({ final: true, epoch: 1, summary: { steps: 2 } });
    expect(m.status()).toMatchObject({ state: 'finished', etaSec: 0 });
    const n = updates.length;
    clock.advance(10_000);
    expect(updates.length).toBe(n);
    expect(m.snapshot().evaluation?.final).toBe(true);
  });

  it('keeps going when a viewer throws', () => {
    const { m, updates } = monitor();
    m.subscribe(() => {
      throw new Error('viewer bug');
    });
    m.recordStep({ step: 1, epoch: 0, loss: 1, samples: 1, stepMs: 1 });
    expect(() => m.recordEpoch(0, fakeReport())).not.toThrow();
    expect(updates.map((u) => u.type)).toEqual(['status', 'steps', 'epoch']);
  });

  it('gives a new viewer the whole run in its snapshot', () => {
    const { m } = monitor();
    for (let i = 1; i <= 3; i++) m.recordStep({ step: i, epoch: 0, loss: 1 / i, samples: 10, stepMs: 1 });
    m.recordEpoch(0, fakeReport());
    const snap = m.snapshot();
    expect(snap.steps.map((p) => p.step)).toEqual([1, 2, 3]);
    expect(snap.epochs).toHaveLength(1);
    expect(snap.evaluation?.classNames).toEqual(['zero', 'one', 'two']);
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
  });
});
