import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, encodeMessage } from '@dtrain/protocol';
import type { Message, Work } from '@dtrain/protocol';
import { TrainableLayout } from '@dtrain/model';
import { flatManifest } from '@dtrain/model/testing';
import type { FakeWorker, TestCluster, TestClusterOptions } from './testing';
import { createTestCluster, fakeGradient, runToEnd, settle } from './testing';
import { COMPRESSION_KINDS } from '@dtrain/training';

const heartbeat: Message = { type: 'heartbeat', v: PROTOCOL_VERSION, ts: 0 };

function start(o: TestClusterOptions, ids: string[]): { c: TestCluster; ws: FakeWorker[] } {
  const c = createTestCluster({ workers: ids.length, ...o });
  const ws = ids.map((id) => c.worker(id).join());
  return { c, ws };
}

/** Every sample of every epoch applied exactly once, by the coordinator's own count and by the log. */
function expectFullCoverage(c: TestCluster, samples: number, epochs = 1): void {
  const t = c.coordinator.totals;
  expect(t.coverage).toHaveLength(epochs);
  for (const e of t.coverage) expect(e).toMatchObject({ expected: samples, applied: samples, missed: 0, repeated: 0 });
  expect(t.appliedLog.reduce((n, a) => n + a.samples, 0)).toBe(samples * epochs);
  const keys = t.appliedLog.map((a) => `${a.workerId}#${a.step}`);
  expect(new Set(keys).size).toBe(keys.length);
}

describe('BSP barrier', () => {
  it('waits for every member, then applies the sample-weighted mean once', () => {
    const { c, ws } = start({ samples: 10 }, ['a', 'b', 'c']);
    const works = ws.map((w) => w.pending()[0]!);
    const sizes = works.map((w) => w.indices.length);
    expect(sizes.reduce((a, b) => a + b)).toBe(10);
    expect(new Set(sizes).size).toBeGreaterThan(1); // unequal batches make the weighting visible
    const w0 = c.store.weights.slice();
    ws[0]!.pushNext();
    ws[1]!.pushNext();
    expect(c.coordinator.version).toBe(0);
    ws[2]!.pushNext((p) => ({ ...p, samples: 4000 })); // a claimed count does not buy a larger say
    expect(c.coordinator.version).toBe(1);
    const grads = works.map((w) => fakeGradient(w0, w.indices));
    for (let j = 0; j < w0.length; j++) {
      const mean = grads.reduce((s, g, i) => s + g[j]! * sizes[i]!, 0) / 10;
      expect(c.store.weights[j]).toBeCloseTo(w0[j]! - 0.1 * mean, 6);
    }
    expect(ws.map((w) => w.acks().at(-1)?.status)).toEqual(['applied', 'applied', 'applied']);
  });

  it('gives bit-identical weights whatever order the pushes arrive in', () => {
    const weightsAfter = (order: number[]): Float32Array => {
      const { c, ws } = start({ samples: 30 }, ['a', 'b', 'c']);
      for (const i of order) ws[i]!.pushNext();
      expect(c.coordinator.version).toBe(1);
      return c.store.weights.slice();
    };
    const first = weightsAfter([0, 1, 2]);
    for (const order of [[2, 1, 0], [1, 2, 0], [2, 0, 1]]) expect(Buffer.from(weightsAfter(order).buffer).equals(Buffer.from(first.buffer))).toBe(true);
  });

  it('runs a whole epoch with every sample applied exactly once', async () => {
    const { c, ws } = start({ samples: 50 }, ['a', 'b']);
    await runToEnd(c, ws);
    expect(c.coordinator.state).toBe('finished');
    expectFullCoverage(c, 50);
  });
});

describe('frozen layers', () => {
  // 6 weights: layer `frozen` (2) and layer `head` (4); pushes may carry only the head's 4.
  const layout = TrainableLayout.of(flatManifest(['frozen/kernel', 2], ['head/kernel', 4]), ['frozen'])!;

  it('tells workers it takes packed pushes, and sums packed and full ones into the same mean', () => {
    const { c, ws } = start({ samples: 8, size: 6, pushLayout: layout }, ['a', 'b']);
    const [a, b] = ws as [FakeWorker, FakeWorker];
    expect(a.peer.all('welcome')[0]).toMatchObject({ pushLayout: 'trainable' });
    const works = ws.map((w) => w.pending()[0]!);
    const w0 = c.store.weights.slice();
    const grads = works.map((w) => fakeGradient(w0, w.indices));
    a.pushNext((p) => {
      const packed = layout.gather(grads[0]!);
      return { ...p, grad: { codec: 'fp32', length: packed.length, data: packed } };
    });
    // b is a worker that does not pack: its full push has (here non-zero) frozen entries, kept as sent
    b.pushNext();
    expect(c.coordinator.version).toBe(1);
    const sizes = works.map((w) => w.indices.length);
    const total = sizes[0]! + sizes[1]!;
    for (let j = 0; j < 6; j++) {
      const fromA = j < 2 ? 0 : grads[0]![j]!;
      const mean = (fromA * sizes[0]! + grads[1]![j]! * sizes[1]!) / total;
      expect(c.store.weights[j], `weight ${j}`).toBeCloseTo(w0[j]! - 0.1 * mean, 6);
    }
    expect(ws.map((w) => w.acks().at(-1)?.status)).toEqual(['applied', 'applied']);
  });

  it('sends a worker that takes them only the weights that train after its first frame, and the others full ones', async () => {
    const c = createTestCluster({ workers: 2, samples: 32, size: 6, pushLayout: layout, mask: Uint8Array.of(0, 0, 1, 1, 1, 1) });
    const packer = c.worker('p').join({ capabilities: { backend: 'fake', compression: [...COMPRESSION_KINDS], maxFrameBytes: 1 << 20, trainableLayout: true } });
    const plain = c.worker('q').join();
    await runToEnd(c, [packer, plain]);
    expect(c.coordinator.state).toBe('finished');
    const frames = (w: FakeWorker) => w.peer.all('weights');
    expect(frames(packer)[0]).not.toHaveProperty('layout');
    expect(frames(packer).slice(1).every((f) => f.layout === 'trainable' && f.payload.length === 4)).toBe(true);
    expect(frames(plain).every((f) => f.layout === undefined && f.payload.length === 6)).toBe(true);
    // both end with the server's weights, the frozen ones as they started
    expect(Array.from(packer.weights)).toEqual(Array.from(plain.weights));
    expect(Array.from(c.store.weights.subarray(0, 2))).toEqual([0.5, 0.5]);
  });

  it('refuses a push of any other length with PROTO_ERR_BAD_SHAPE', () => {
    const { c, ws } = start({ samples: 8, size: 6, pushLayout: layout }, ['a', 'b']);
    ws[0]!.pushNext((p) => ({ ...p, grad: { codec: 'fp32', length: 5, data: new Float32Array(5) } }));
    expect(ws[0]!.acks().at(-1)).toMatchObject({ status: 'rejected', code: 'PROTO_ERR_BAD_SHAPE' });
    expect(c.coordinator.version).toBe(0);
  });

  it('does not offer packed pushes when nothing is frozen', () => {
    const { ws } = start({ samples: 8 }, ['a']);
    expect(ws[0]!.peer.all('welcome')[0]!.pushLayout).toBeUndefined();
  });
});

describe('backup workers', () => {
  it('completes a step with N−B pushes; the late push is dropped, counted, and its samples redone', async () => {
    const { c, ws } = start({ samples: 48, backupWorkers: 1 }, ['a', 'b', 'c']);
    const [a, b, slow] = ws as [FakeWorker, FakeWorker, FakeWorker];
    a.pushNext();
    expect(c.coordinator.version).toBe(0);
    b.pushNext();
    expect(c.coordinator.version).toBe(1);
    // The next step is already out to the two that pushed; the straggler is still on step 0.
    expect(a.pending()).toHaveLength(1);
    expect(slow.pending()).toHaveLength(1);
    const late = slow.pushNext()!;
    expect(slow.acks().at(-1)).toMatchObject({ step: late.step, status: 'dropped' });
    expect(c.coordinator.totals.droppedPushes).toBe(1);
    expect(c.coordinator.members.get('c')!.stats.dropped).toBe(1);
    expect(c.coordinator.version).toBe(1);
    // The busy straggler was this step's backup: both pushes are needed, none is dropped.
    a.pushNext();
    expect(c.coordinator.version).toBe(1);
    b.pushNext();
    expect(c.coordinator.version).toBe(2);
    expect(c.coordinator.totals.droppedPushes).toBe(1);
    await runToEnd(c, ws);
    expect(c.coordinator.state).toBe('finished');
    expectFullCoverage(c, 48);
    // Step times are recorded for every push the server received, dropped ones included.
    expect(c.coordinator.totals.appliedLog.every((e) => e.stepMs >= 0)).toBe(true);
  });
});

describe('SSP', () => {
  it('never applies a gradient older than S, even with a member that is always late', async () => {
    const S = 2;
    const { c, ws } = start({ samples: 120, mode: 'ssp', staleness: S }, ['fast1', 'fast2', 'slow']);
    const [f1, f2, slow] = ws as [FakeWorker, FakeWorker, FakeWorker];
    for (let round = 0; round < 2000 && c.coordinator.state !== 'finished'; round++) {
      // The fast members answer everything at once; the slow one answers one batch every third round.
      while (f1.pushNext() || f2.pushNext());
      if (round % 3 === 2) slow.pushNext();
      await settle(1);
    }
    await settle(10);
    expect(c.coordinator.state).toBe('finished');
    const log = c.coordinator.totals.appliedLog;
    expect(Math.max(...log.map((e) => e.staleness))).toBeLessThanOrEqual(S);
    expect(log.some((e) => e.workerId === 'slow')).toBe(true);
    expect(slow.acks().some((a) => a.status === 'stale' && a.code === 'PS_ERR_STALE_PUSH')).toBe(true);
    expectFullCoverage(c, 120);
  });
});

describe('exactly-once pushes', () => {
  it('answers a replayed push with duplicate and an out-of-date one with stale, changing nothing', () => {
    const { c, ws } = start({ samples: 40 }, ['a', 'b']);
    const [a, b] = ws as [FakeWorker, FakeWorker];
    const frames: Uint8Array[] = [];
    const first = a.pushNext((p) => (frames.push(encodeMessage(p)), p))!;
    b.pushNext();
    expect(c.coordinator.version).toBe(1);
    const before = c.store.weights.slice();
    a.send(frames[0]!);
    expect(a.acks().at(-1)).toMatchObject({ step: first.step, status: 'duplicate', code: 'PS_ERR_DUPLICATE_PUSH' });
    // The next step is in flight for a; a push claiming an older base version is too stale for BSP.
    const second = a.pushNext((p) => ({ ...p, baseVersion: 0 }))!;
    expect(a.acks().at(-1)).toMatchObject({ step: second.step, status: 'stale', code: 'PS_ERR_STALE_PUSH' });
    expect(c.coordinator.totals).toMatchObject({ duplicatePushes: 1, stalePushes: 1 });
    expect(Array.from(c.store.weights)).toEqual(Array.from(before));
    expect(c.coordinator.version).toBe(1);
  });

  it('refuses NaN tensors, wrong shapes and pushes naming another worker without touching the weights', () => {
    const { c, ws } = start({ samples: 40 }, ['a', 'b']);
    const [a, b] = ws as [FakeWorker, FakeWorker];
    const before = c.store.weights.slice();
    let bPush: Message | undefined;
    b.pushNext((p) => ((bPush = p), { ...p, workerId: 'a' }));
    expect(b.acks().at(-1)).toMatchObject({ status: 'rejected', code: 'PS_ERR_BAD_WORKER_ID' });
    const nan = a.peer.received.length;
    a.pushNext((p) => ({ ...p, grad: { codec: 'fp32', length: 4, data: Float32Array.of(1, NaN, 0, 0) } }));
    expect(a.peer.received.slice(nan).find((m) => m.type === 'error')).toMatchObject({ code: 'PROTO_ERR_NOT_FINITE', fatal: true });
    expect(a.peer.closed).toBeDefined();
    b.send({ ...(bPush as Message & { type: 'push' }), grad: { codec: 'fp32', length: 3, data: Float32Array.of(1, 2, 3) } });
    expect(b.acks().at(-1)).toMatchObject({ status: 'rejected', code: 'PROTO_ERR_BAD_SHAPE' });
    expect(b.peer.closed).toBeDefined();
    expect(Array.from(c.store.weights)).toEqual(Array.from(before));
    expect(c.coordinator.version).toBe(0);
  });
});

describe('throughput-sized shares (BSP)', () => {
  it('gives the faster member the larger share of the same global batch, and still covers every sample once', () => {
    const { c, ws } = start({ samples: 400, shares: 'throughput', run: { batchSize: 20 } }, ['fast', 'slow']);
    const [fast, slow] = ws as [FakeWorker, FakeWorker];
    const sizes: [number, number][] = [];
    for (let step = 0; step < 8; step++) {
      const f = fast.pending()[0];
      const sl = slow.pending()[0];
      if (!f || !sl) break;
      sizes.push([f.indices.length, sl.indices.length]);
      c.clock.advance(10);
      fast.pushNext();
      c.clock.advance(30);
      slow.pushNext();
    }
    expect(sizes[0]).toEqual([20, 20]);
    for (const [a, b] of sizes) expect(a + b).toBe(40);
    // The slow one takes 4x as long per batch once measured (10 vs 40 ms): its share drops towards a fifth.
    const [a, b] = sizes.at(-1)!;
    expect(a).toBeGreaterThan(2 * b);
    // The dashboard's "batch" column: each member's share of the last step.
    expect(c.coordinator.members.get('fast')!.stats.lastBatch).toBeGreaterThan(2 * c.coordinator.members.get('slow')!.stats.lastBatch);
  });
});

describe('gradient sanity', () => {
  it.each(['bsp', 'asp'] as const)('%s: refuses an all-finite 3e38 push, evicts its worker, applies nothing of it, and the run still covers every sample', (mode) => {
    const { c, ws } = start({ samples: 16, mode }, ['a', 'b']);
    const [a, b] = ws as [FakeWorker, FakeWorker];
    const before = c.store.weights.slice();
    a.pushNext((p) => ({ ...p, grad: { codec: 'fp32', length: 4, data: Float32Array.of(3e38, -3e38, 3e38, 1) } }));
    expect(a.acks().at(-1)).toMatchObject({ status: 'rejected', code: 'PS_ERR_GRADIENT_OUT_OF_RANGE' });
    expect(a.peer.closed?.code).toBe(1008);
    expect(c.coordinator.members.get('a')?.state).toBe('lost');
    if (mode === 'bsp') expect(Array.from(c.store.weights)).toEqual(Array.from(before));
    for (let i = 0; i < 20 && b.pushNext(); i++);
    expect(c.coordinator.state).not.toBe('training');
    expect(c.store.weights.every(Number.isFinite)).toBe(true);
    expect(c.coordinator.totals.rejectedFrames['PS_ERR_GRADIENT_OUT_OF_RANGE']).toBe(1);
  });

  it('takes a push at the bound and refuses one just past it', () => {
    const { c, ws } = start({ samples: 16, maxGradientAbs: 10, gradientSpikeFactor: 0 }, ['a', 'b']);
    const [a, b] = ws as [FakeWorker, FakeWorker];
    a.pushNext((p) => ({ ...p, grad: { codec: 'fp32', length: 4, data: Float32Array.of(10, -10, 0, 1) } }));
    expect(a.acks().at(-1)).toMatchObject({ status: 'applied' });
    b.pushNext((p) => ({ ...p, grad: { codec: 'fp32', length: 4, data: Float32Array.of(10.001, 0, 0, 0) } }));
    expect(b.acks().at(-1)).toMatchObject({ status: 'rejected', code: 'PS_ERR_GRADIENT_OUT_OF_RANGE' });
    expect(c.coordinator.version).toBe(0);
  });
});

describe('liveness and elastic membership', () => {
  it('removes a silent worker after the heartbeat timeout and re-homes its samples (none lost)', async () => {
    const { c, ws } = start({ samples: 60, heartbeatTimeoutMs: 1_000 }, ['a', 'b', 'silent']);
    const [a, b, silent] = ws as [FakeWorker, FakeWorker, FakeWorker];
    a.pushNext();
    b.pushNext();
    silent.pushNext();
    expect(c.coordinator.version).toBe(1);
    a.pushNext();
    b.pushNext();
    // The silent one holds step 1; the others keep talking, it does not.
    for (let t = 0; t < 10; t++) {
      c.clock.advance(100);
      a.send(heartbeat);
      b.send(heartbeat);
    }
    expect(c.coordinator.members.get('silent')!.state).toBe('active');
    c.clock.advance(150);
    a.send(heartbeat);
    b.send(heartbeat);
    c.clock.advance(100);
    expect(c.coordinator.members.get('silent')!.state).toBe('lost');
    expect(silent.peer.closed?.code).toBe(1008);
    // Removed from the barrier at once: its chunk of step 1 went to a free member, which completes the step.
    expect(c.coordinator.version).toBe(1);
    expect(a.pending()).toHaveLength(1);
    a.pushNext();
    expect(c.coordinator.version).toBe(2);
    await runToEnd(c, [a, b]);
    expect(c.coordinator.state).toBe('finished');
    expectFullCoverage(c, 60);
  });

  it('finishes a lost worker’s chunk within the same step, then splits the same global batch over the survivors', () => {
    const { c, ws } = start({ samples: 120 }, ['a', 'b', 'c']);
    const [a, b, lost] = ws as [FakeWorker, FakeWorker, FakeWorker];
    expect(ws.map((w) => w.pending()[0]!.indices.length)).toEqual([4, 4, 4]);
    const orphan = lost.pending()[0]!;
    c.coordinator.disconnect(lost.peer);
    a.pushNext();
    // a is free first, so it takes the lost chunk; the step is not applied without it.
    expect(a.pending()[0]).toMatchObject({ baseVersion: 0, indices: orphan.indices });
    b.pushNext();
    expect(c.coordinator.version).toBe(0);
    a.pushNext();
    expect(c.coordinator.version).toBe(1);
    expect([a, b].map((w) => w.pending()[0]!.indices.length)).toEqual([6, 6]);
  });

  it('never sends a work message above the protocol batch limit: a share that large is cut into chunks of one step', () => {
    const { c, ws } = start({ samples: 12_000, run: { batchSize: 3_000 } }, ['a', 'b']);
    c.coordinator.disconnect(ws[1]!.peer);
    const a = ws[0]!;
    a.pushNext();
    a.pushNext(); // b's chunk of step 0
    expect(c.coordinator.version).toBe(1);
    expect(a.pending()[0]!.indices.length).toBe(4096);
    a.pushNext();
    expect(c.coordinator.version).toBe(1);
    expect(a.pending()[0]!.indices.length).toBe(6_000 - 4096);
    a.pushNext();
    expect(c.coordinator.version).toBe(2);
  });

  it('losing and adding workers mid-epoch ends with the weights of an undisturbed run', async () => {
    const o: TestClusterOptions = { samples: 96, run: { epochs: 2 } };
    const { c: clean, ws: cleanWorkers } = start(o, ['a', 'b', 'c']);
    await runToEnd(clean, cleanWorkers);
    const { c, ws } = start(o, ['a', 'b', 'c']);
    ws.forEach((w) => w.pushNext());
    ws[0]!.pushNext();
    c.coordinator.disconnect(ws[1]!.peer); // mid-step, its chunk in flight
    const late = c.worker('d').join();
    await runToEnd(c, [ws[0]!, ws[2]!, late]);
    expect(c.coordinator.state).toBe('finished');
    expect(c.coordinator.version).toBe(clean.coordinator.version);
    c.store.weights.forEach((w, j) => expect(w).toBeCloseTo(clean.store.weights[j]!, 5));
    expectFullCoverage(c, 96, 2);
  });

  it('lets a worker join mid-epoch: it gets the current weights and a share of the rest', async () => {
    const { c, ws } = start({ samples: 80 }, ['a', 'b']);
    const [a, b] = ws as [FakeWorker, FakeWorker];
    a.pushNext();
    b.pushNext();
    const late = c.worker('late').join();
    expect(late.peer.all('welcome')).toHaveLength(1);
    // BSP shards stay the planned two; the assignment tells it how many members share the epoch now.
    expect(late.peer.all('assign')[0]).toMatchObject({ members: 3, shard: { count: 2 } });
    // Step 1 was already out when it joined: it takes part from step 2 on, with the weights of version 2.
    expect(late.pending()).toHaveLength(0);
    a.pushNext();
    b.pushNext();
    expect(late.pending()).toHaveLength(1);
    expect(late.version).toBe(2);
    expect(late.pending()[0]).toMatchObject({ baseVersion: 2 });
    // The global batch (2 × 4) is now split three ways.
    expect([a, b, late].map((w) => w.pending()[0]!.indices.length)).toEqual([3, 3, 2]);
    await runToEnd(c, [a, b, late]);
    expect(c.coordinator.state).toBe('finished');
    expectFullCoverage(c, 80);
    const bySamples = (id: string): number => c.coordinator.totals.appliedLog.filter((e) => e.workerId === id).reduce((n, e) => n + e.samples, 0);
    expect(bySamples('late')).toBeGreaterThan(15);
  });

  it('a join or a loss while the step boundary waits for a checkpoint neither restarts nor re-applies the step', async () => {
    const { c, ws } = start({ samples: 60, backupWorkers: 1, checkpointEverySteps: 1 }, ['a', 'b', 'slow']);
    ws[0]!.pushNext();
    ws[1]!.pushNext(); // step 0 completes; the checkpoint write is pending
    expect(c.coordinator.version).toBe(1);
    const late = c.worker('late').join();
    c.coordinator.disconnect(ws[2]!.peer);
    await settle();
    expect(c.coordinator.version).toBe(1);
    expect([ws[0]!, ws[1]!, late].map((w) => w.pending().length)).toEqual([1, 1, 1]);
    expect(c.coordinator.totals.appliedLog).toHaveLength(2);
    await runToEnd(c, [ws[0]!, ws[1]!, late]);
    expectFullCoverage(c, 60);
  });

  it('hands a gracefully leaving worker’s samples to the others', async () => {
    const { c, ws } = start({ samples: 60 }, ['a', 'b', 'c']);
    ws.forEach((w) => w.pushNext());
    ws[2]!.send({ type: 'leave', v: PROTOCOL_VERSION, reason: 'scale down' });
    expect(c.coordinator.members.get('c')!.state).toBe('left');
    expect(ws[2]!.peer.closed?.code).toBe(1000);
    await runToEnd(c, ws.slice(0, 2));
    expectFullCoverage(c, 60);
  });
});

describe('connection limits', () => {
  it('passes a burst of frames and refuses the next one, until the bucket refills', () => {
    const c = createTestCluster({ workers: 2, rateLimit: { framesPerSec: 10, burst: 5 } });
    const w = c.worker('a').join(); // the join is frame 1 of the burst
    for (let i = 0; i < 4; i++) w.send(heartbeat);
    expect(w.errors()).toHaveLength(0);
    w.send(heartbeat);
    expect(w.errors()).toEqual([expect.objectContaining({ code: 'PS_ERR_RATE_LIMITED', fatal: false })]);
    c.clock.advance(100); // one token at 10/s
    w.send(heartbeat);
    expect(w.errors()).toHaveLength(1);
    expect(w.peer.closed).toBeUndefined();
  });

  it('counts refusals in a row: a worker that slows down again is not closed', () => {
    const c = createTestCluster({ workers: 2, rateLimit: { framesPerSec: 10, burst: 2 } });
    const w = c.worker('a').join();
    for (let i = 0; i < 10; i++) {
      w.send(heartbeat).send(heartbeat).send(heartbeat); // one passes, two are refused
      c.clock.advance(100);
    }
    expect(w.errors().length).toBeGreaterThan(2);
    expect(w.peer.closed).toBeUndefined();
  });

  it('closes a connection that keeps sending past its limit', () => {
    const c = createTestCluster({ workers: 2, rateLimit: { framesPerSec: 1, burst: 3 } });
    const w = c.worker('a').join();
    for (let i = 0; i < 10 && !w.peer.closed; i++) w.send(heartbeat);
    expect(w.peer.closed?.code).toBe(1008);
  });

  it('closes a connection that does not join within the hello timeout', () => {
    const c = createTestCluster({ helloTimeoutMs: 500 });
    const idle = c.worker('idle');
    c.clock.advance(499);
    expect(idle.peer.closed).toBeUndefined();
    c.clock.advance(1);
    expect(idle.errors()).toEqual([expect.objectContaining({ code: 'PS_ERR_NOT_JOINED', fatal: true })]);
    expect(idle.peer.closed?.code).toBe(1008);
  });

  it('refuses anything but a join before joining, and garbage at any time', () => {
    const c = createTestCluster({});
    const early = c.worker('e').send(heartbeat);
    expect(early.errors()[0]?.code).toBe('PS_ERR_NOT_JOINED');
    const junk = c.worker('j').send(Uint8Array.of(0xc1, 0xff, 0x00));
    expect(junk.errors()[0]?.code).toBe('PROTO_ERR_MALFORMED');
    expect(junk.peer.closed).toBeDefined();
  });
});

describe('authentication', () => {
  it.each([
    ['missing', undefined, 'AUTH_ERR_MISSING_TOKEN'],
    ['wrong', 'guess', 'AUTH_ERR_BAD_TOKEN'],
  ])('refuses a %s token with a coded error, closes and logs', (_, token, code) => {
    const c = createTestCluster({ token: 's3cret-s3cret-s3cret' });
    const w = c.worker('a');
    w.join(token === undefined ? { token: undefined } : { token });
    expect(w.errors()).toEqual([expect.objectContaining({ code, fatal: true, replyTo: 1 })]);
    expect(w.peer.closed?.code).toBe(1008);
    expect(c.coordinator.members.size).toBe(0);
    expect(c.log.records.some((r) => r.level === 'warn' && r.fields['code'] === code)).toBe(true);
  });

  it('welcomes the right token', () => {
    const c = createTestCluster({ token: 's3cret-s3cret-s3cret' });
    const w = c.worker('a').join();
    expect(w.peer.all('welcome')).toHaveLength(1);
    expect(w.peer.closed).toBeUndefined();
  });

  it('refuses a worker that lacks the run’s gradient or weights codec, and welcomes one that has both', () => {
    const c = createTestCluster({ compression: 'int4', weightsCompression: 'sign' });
    const old = c.worker('old').join({ capabilities: { backend: 'fake', compression: ['none', 'fp16', 'int8', 'int4', 'topk'], maxFrameBytes: 1 << 20 } });
    expect(old.errors()).toEqual([expect.objectContaining({ code: 'PS_ERR_UNSUPPORTED_CODEC', fatal: true })]);
    expect(old.errors()[0]!.message).toContain('sign');
    expect(old.peer.closed).toBeDefined();
    const current = c.worker('new').join();
    expect(current.peer.all('welcome')).toHaveLength(1);
  });

  it('refuses a join under a live member\'s id without its session (PS_ERR_WORKER_ID_IN_USE), and lets the member itself reconnect', () => {
    const c = createTestCluster({ token: 's3cret-s3cret-s3cret' });
    const a = c.worker('a').join();
    const session = a.peer.all('welcome')[0]!.session;
    expect(session).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const impostor = c.worker('a').join();
    expect(impostor.errors()).toEqual([expect.objectContaining({ code: 'PS_ERR_WORKER_ID_IN_USE', fatal: true })]);
    expect(impostor.peer.closed?.code).toBe(1008);
    const guess = c.worker('a').join({ session: 'not-the-session-secret' });
    expect(guess.errors()).toEqual([expect.objectContaining({ code: 'PS_ERR_WORKER_ID_IN_USE' })]);
    expect(a.peer.closed).toBeUndefined();
    expect(c.coordinator.members.get('a')?.peer).toBe(a.peer);
    const back = c.worker('a').join({ session });
    expect(back.peer.all('welcome')).toHaveLength(1);
    expect(a.peer.closed).toBeDefined();
    expect(c.coordinator.members.get('a')?.peer).toBe(back.peer);
  });

  it('refuses another protocol version', () => {
    const c = createTestCluster({});
    const w = c.worker('a').join({ protocolVersion: PROTOCOL_VERSION + 1 });
    expect(w.errors()).toEqual([expect.objectContaining({ code: 'PROTO_ERR_BAD_VERSION', fatal: true })]);
    expect(w.peer.closed).toBeDefined();
  });
});

describe('checkpoints', () => {
  it('keeps the run\'s counters across a restore even when the applied log was trimmed', async () => {
    const o: TestClusterOptions = { samples: 64, run: { epochs: 2 }, checkpointEverySteps: 3, checkpointEverySeconds: 0 };
    const { c: a, ws } = start(o, ['x', 'y']);
    await runToEnd(a, ws);
    const snap = a.checkpoints.find((s) => s.plan !== undefined && s.epoch === 1)!;
    // As if the log had been cut to its newest entries: the counts still come from the checkpoint.
    const trimmed = { ...snap, appliedLog: snap.appliedLog!.slice(-2).map((e) => ({ ...e, staleness: 0 })), appliedPushes: 40, maxStaleness: 5 };
    const b = createTestCluster({ ...o, workers: 2, restored: trimmed });
    expect(b.coordinator.totals).toMatchObject({ appliedPushes: 40, maxStaleness: 5 });
    expect(b.coordinator.totals.appliedLog).toHaveLength(2);
  });

  it('a restored checkpoint continues exactly as the original run did', async () => {
    const o: TestClusterOptions = { samples: 64, run: { epochs: 2 }, checkpointEverySteps: 3, checkpointEverySeconds: 0 };
    const { c: a, ws } = start(o, ['x', 'y']);
    await runToEnd(a, ws);
    expect(a.coordinator.state).toBe('finished');
    const mid = a.checkpoints.find((s) => s.plan !== undefined && s.epoch === 1 && s.updates > 12);
    expect(mid).toBeDefined();
    const { c: b, ws: ws2 } = start({ ...o, restored: mid! }, ['x', 'y']);
    await runToEnd(b, ws2);
    expect(b.coordinator.state).toBe('finished');
    expect(b.coordinator.version).toBe(a.coordinator.version);
    expect(Array.from(b.store.weights)).toEqual(Array.from(a.store.weights));
    expect(b.coordinator.totals.appliedLog).toEqual(a.coordinator.totals.appliedLog);
    expectFullCoverage(b, 64, 2);
  });

  it('a checkpoint taken between epochs resumes with the next epoch, not the finished one', async () => {
    const o: TestClusterOptions = { samples: 32, run: { epochs: 2 }, checkpointEverySteps: 0, checkpointEverySeconds: 0 };
    const { c: a, ws } = start(o, ['x', 'y']);
    await runToEnd(a, ws);
    const between = a.checkpoints.find((s) => s.plan === undefined);
    expect(between?.epoch).toBe(1);
    const { c: b, ws: ws2 } = start({ ...o, restored: between! }, ['x', 'y']);
    await runToEnd(b, ws2);
    expect(b.coordinator.totals.steps).toBe(a.coordinator.totals.steps);
    expect(Array.from(b.store.weights)).toEqual(Array.from(a.store.weights));
  });

  it('ends with a finished checkpoint; resuming from it trains nothing and keeps the weights', async () => {
    const o: TestClusterOptions = { samples: 32, checkpointEverySteps: 0, checkpointEverySeconds: 0 };
    const { c: a, ws } = start(o, ['x', 'y']);
    await runToEnd(a, ws);
    await settle();
    const last = a.checkpoints.at(-1)!;
    expect(last.finished).toBe(true);
    expect(last.updates).toBe(a.coordinator.totals.steps);
    const b = createTestCluster({ ...o, workers: 2, restored: last });
    b.coordinator.start();
    await expect(b.coordinator.done).resolves.toMatchObject({ steps: a.coordinator.totals.steps });
    expect(b.coordinator.state).toBe('finished');
    expect(Array.from(b.store.weights)).toEqual(Array.from(a.store.weights));
  });

  it('ASP checkpoints every K updates while work stays in flight, and the in-flight samples are not lost', async () => {
    const o: TestClusterOptions = { samples: 64, mode: 'asp', checkpointEverySteps: 2, checkpointEverySeconds: 0 };
    const { c: a, ws } = start(o, ['x', 'y']);
    ws[0]!.pushNext();
    ws[0]!.pushNext();
    await settle();
    const snap = a.checkpoints.at(-1)!;
    expect(snap.updates).toBe(2);
    // y's batch was never applied: the checkpoint's plan still holds it.
    const queued = Object.values(snap.plan!.parts).reduce((n, p) => n + p.queue.length, 0);
    expect(queued).toBe(64 - 8);
    const { c: b, ws: ws2 } = start({ ...o, restored: snap }, ['x', 'y']);
    await runToEnd(b, ws2);
    expectFullCoverage(b, 64);
  });

  it('refuses a checkpoint of another model size or seed', () => {
    const { c: a, ws } = start({ checkpointEverySteps: 1 }, ['x', 'y']);
    ws.forEach((w) => w.pushNext());
    return settle().then(() => {
      expect(() => createTestCluster({ size: 5, restored: a.checkpoints[0]! })).toThrow(expect.objectContaining({ code: 'CKPT_ERR_MISMATCH' }));
      expect(() => createTestCluster({ run: { seed: 43 }, restored: a.checkpoints[0]! })).toThrow(expect.objectContaining({ code: 'CKPT_ERR_MISMATCH' }));
      expect(() => createTestCluster({ restored: a.checkpoints[0]! })).not.toThrow();
    });
  });
});

describe('work hand-out', () => {
  it('gives every member its own disjoint batch per step', () => {
    const { ws } = start({ samples: 40 }, ['a', 'b']);
    const [wa, wb] = ws.map((w) => w.pending()[0]!) as [Work, Work];
    const overlap = Array.from(wa.indices).filter((i) => Array.from(wb.indices).includes(i));
    expect(overlap).toEqual([]);
  });
});

describe('step-time accounting', () => {
  it('times the first update as warm-up, averages push compute without each worker’s first push, keeps heartbeat totals', () => {
    const { c, ws } = start({ samples: 40, run: { batchSize: 4 } }, ['a', 'b']);
    const step = (computeMs: number, waitMs: number): void => {
      c.clock.advance(waitMs);
      for (const w of ws) w.pushNext((p) => ({ ...p, computeMs }));
    };
    step(900, 1_000); // the warm-up: dataset load, model build, kernel set-up
    step(50, 60);
    step(70, 80);
    const t = c.coordinator.totals;
    expect(t.steps).toBe(3);
    expect(t.warmupMs).toBe(1_000);
    expect(t.warmupSamples).toBe(8);
    const a = c.coordinator.members.get('a')!;
    expect(a.stats.computePushes).toBe(2);
    expect(a.stats.computeMsTotal).toBe(120);
    expect(a.stats.reported).toBeUndefined();
    ws[0]!.send({ type: 'heartbeat', v: PROTOCOL_VERSION, ts: 0, stats: { step: 3, samplesPerSec: 10, computeMs: 1_020, rssBytes: 100, encodeMs: 6, tensors: 12, peakRssBytes: 150 } });
    expect(a.stats.reported).toEqual({ steps: 3, computeMs: 1_020, encodeMs: 6, tensors: 12, peakRssBytes: 150 });
  });
});
