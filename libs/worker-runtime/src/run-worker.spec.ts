import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { ManualClock } from '@dtrain/common/testing';
import { syntheticDataset } from '@dtrain/data/testing';
import { initEngine } from '@dtrain/engine';
import type { Message } from '@dtrain/protocol';
import { PROTOCOL_VERSION, decodeMessage, encodeMessage } from '@dtrain/protocol';
import { decodeTensor, encodeTensor } from '@dtrain/training';
import { startWorker } from './run-worker';
import { resolveWorkerOptions } from './worker-options';

/** A 4×4 image → 2 classes softmax: 34 weights, trains on the cpu backend in microseconds. */
const MODEL = { name: 'tiny', inputShape: [4, 4, 1], numClasses: 2, layers: [{ kind: 'flatten', name: 'flatten' }, { kind: 'dense', name: 'logits', units: 2, activation: 'softmax' }] };
const SIZE = 16 * 2 + 2;
const data = { train: syntheticDataset({ count: 32, rows: 4, cols: 4, numClasses: 2 }), test: syntheticDataset({ count: 8, rows: 4, cols: 4, numClasses: 2, seed: 2 }), source: 'synthetic' };

interface Conn {
  ws: WebSocket;
  received: Message[];
  closed: Promise<number>;
}

/** A scripted stand-in for the parameter server: every connection is handed to the test. */
async function fakeServer(): Promise<{ url: string; next(): Promise<Conn>; close(): Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const queue: Conn[] = [];
  const waiting: ((c: Conn) => void)[] = [];
  wss.on('connection', (ws) => {
    const conn: Conn = { ws, received: [], closed: new Promise((r) => ws.once('close', (code) => r(code))) };
    ws.on('message', (raw: Buffer) => conn.received.push(decodeMessage(new Uint8Array(raw))));
    const w = waiting.shift();
    if (w) w(conn);
    else queue.push(conn);
  });
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    next: () => new Promise((r) => (queue.length ? r(queue.shift()!) : waiting.push(r))),
    close: () => {
      // wss.close() alone waits for open connections; a server that goes away cuts them.
      for (const ws of wss.clients) ws.terminate();
      return new Promise((r) => wss.close(() => r()));
    },
  };
}

async function until<T>(probe: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const v = probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const send = (c: Conn, m: Message): void => c.ws.send(encodeMessage(m));
const welcome = (runId = 'run-1'): Message => ({
  type: 'welcome',
  v: PROTOCOL_VERSION,
  replyTo: 1,
  workerId: 'w',
  runId,
  model: MODEL,
  manifest: { names: ['logits/kernel', 'logits/bias'], shapes: [[16, 2], [2]], totalSize: SIZE },
  dataset: 'synthetic',
  hyper: { batchSize: 4, learningRate: 0.01, epochs: 1, seed: 1 },
  mode: { kind: 'bsp', staleness: 0 },
  compression: 'none',
  heartbeatMs: 1_000,
});
const weights = (version: number): Message => ({ type: 'weights', v: PROTOCOL_VERSION, version, encoding: 'full', payload: { codec: 'fp32', length: SIZE, data: new Float32Array(SIZE).fill(0.01) } });
const work = (step: number, baseVersion: number): Message => ({ type: 'work', v: PROTOCOL_VERSION, step, epoch: 0, baseVersion, indices: Uint32Array.of(0, 1, 2, 3), augmentSeed: 1 });

beforeAll(async () => {
  await initEngine({ backend: 'cpu' });
});

describe('startWorker against a scripted server', () => {
  let server: Awaited<ReturnType<typeof fakeServer>> | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const worker = (url: string, giveUpAfterMs = 3_000) =>
    startWorker(resolveWorkerOptions({ serverUrl: url, workerId: 'w', token: 't', reconnect: { initialDelayMs: 20, maxDelayMs: 100, factor: 2, giveUpAfterMs } }), { loadData: async () => data });

  it('reconnects to resynchronise when told to work on weights it does not hold, then pushes against the right ones', async () => {
    server = await fakeServer();
    const w = worker(server.url);
    const first = await server.next();
    await until(() => first.received.find((m) => m.type === 'join'), 'join');
    send(first, welcome());
    send(first, weights(3));
    send(first, work(10, 5)); // version 5 was never sent: the worker cannot compute it
    expect(await first.closed).toBe(4000);

    const second = await server.next();
    const join = await until(() => second.received.find((m): m is Extract<Message, { type: 'join' }> => m.type === 'join'), 'second join');
    expect(join).toMatchObject({ workerId: 'w', token: 't', resumeFrom: { version: 3 } });
    send(second, welcome());
    send(second, weights(5));
    send(second, work(11, 5));
    const push = await until(() => second.received.find((m): m is Extract<Message, { type: 'push' }> => m.type === 'push'), 'push');
    expect(push).toMatchObject({ workerId: 'w', step: 11, baseVersion: 5, samples: 4 });
    expect(push.grad?.length).toBe(SIZE);
    send(second, { type: 'done', v: PROTOCOL_VERSION, reason: 'finished' });
    await expect(w.done).resolves.toMatchObject({ reason: 'finished', connections: 2, steps: 1 });
  });

  // flatten → hidden (16×3 + 3, frozen) → logits (3×2 + 2)
  const FROZEN_MODEL_SIZE = 16 * 3 + 3 + 3 * 2 + 2;
  const frozenWelcome = (extra: Partial<Extract<Message, { type: 'welcome' }>>): Message => ({
    ...(welcome() as Extract<Message, { type: 'welcome' }>),
    model: { ...MODEL, layers: [{ kind: 'flatten', name: 'flatten' }, { kind: 'dense', name: 'hidden', units: 3, activation: 'relu' }, { kind: 'dense', name: 'logits', units: 2, activation: 'softmax' }] },
    manifest: { names: ['hidden/kernel', 'hidden/bias', 'logits/kernel', 'logits/bias'], shapes: [[16, 3], [3], [3, 2], [2]], totalSize: FROZEN_MODEL_SIZE },
    frozen: ['hidden'],
    ...extra,
  });
  const fullWeights = (version: number, data: Float32Array): Message => ({ type: 'weights', v: PROTOCOL_VERSION, version, encoding: 'full', payload: { codec: 'fp32', length: data.length, data } });
  const pushOf = (c: Conn, step: number): Promise<Extract<Message, { type: 'push' }>> =>
    until(() => c.received.find((m): m is Extract<Message, { type: 'push' }> => m.type === 'push' && m.step === step), `push ${step}`);
  /** Sends work for `step` against `version` and returns the gradient the worker pushes for it. */
  const gradientFor = async (c: Conn, step: number, version: number): Promise<Float32Array> => {
    send(c, work(step, version));
    return decodeTensor((await pushOf(c, step)).grad!);
  };

  /** Runs one step of the model with `hidden` frozen and returns the pushed gradient. */
  async function frozenPush(extra: Partial<Extract<Message, { type: 'welcome' }>>): Promise<Float32Array> {
    server = await fakeServer();
    const w = worker(server.url);
    const c = await server.next();
    await until(() => c.received.find((m) => m.type === 'join'), 'join');
    const size = FROZEN_MODEL_SIZE;
    send(c, frozenWelcome(extra));
    const full = new Float32Array(size).map((_, i) => ((i % 7) - 3) / 10);
    send(c, fullWeights(1, full));
    const g = await gradientFor(c, 1, 1);
    send(c, { type: 'done', v: PROTOCOL_VERSION, reason: 'finished' });
    await expect(w.done).resolves.toMatchObject({ steps: 1 });
    return g;
  }

  it('computes no gradient for the layers the welcome freezes: their part of every push is zeros', async () => {
    const g = await frozenPush({});
    expect(g.length).toBe(FROZEN_MODEL_SIZE);
    expect(g.subarray(0, 51).every((x) => x === 0)).toBe(true);
    expect(g.subarray(51).some((x) => x !== 0)).toBe(true);
  });

  it('pushes only the weights that train when the server takes packed pushes, lossy ones included', async () => {
    const full = await frozenPush({});
    await server?.close();
    const packed = await frozenPush({ pushLayout: 'trainable' });
    expect(Array.from(packed)).toEqual(Array.from(full.subarray(51)));
    await server?.close();
    const int8 = await frozenPush({ pushLayout: 'trainable', compression: 'int8' });
    expect(int8.length).toBe(8);
    for (let i = 0; i < 8; i++) expect(int8[i]).toBeCloseTo(full[51 + i]!, 2);
  });

  it('takes weights frames of only the trainable weights once it holds the frozen ones, and resynchronises before', async () => {
    server = await fakeServer();
    const w = worker(server.url);
    const first = await server.next();
    const join = await until(() => first.received.find((m): m is Extract<Message, { type: 'join' }> => m.type === 'join'), 'join');
    expect(join.capabilities.trainableLayout).toBe(true);
    const a = new Float32Array(FROZEN_MODEL_SIZE).map((_, i) => ((i % 7) - 3) / 10);
    const b = new Float32Array(FROZEN_MODEL_SIZE).map((_, i) => ((i % 5) - 2) / 7);
    const packed = (version: number): Message => ({ ...fullWeights(version, b.slice(51)), layout: 'trainable' } as Message);
    send(first, frozenWelcome({ pushLayout: 'trainable' }));
    // Nothing to keep the frozen weights from yet: the worker asks for a fresh start.
    send(first, packed(1));
    expect(await first.closed).toBe(4000);
    const c = await server.next();
    await until(() => c.received.find((m) => m.type === 'join'), 'second join');
    send(c, frozenWelcome({ pushLayout: 'trainable' }));
    send(c, fullWeights(1, a));
    send(c, packed(2));
    const afterPacked = await gradientFor(c, 1, 2);
    // The same weights in full: a's frozen part, b's trainable one.
    send(c, fullWeights(3, Float32Array.from([...a.subarray(0, 51), ...b.subarray(51)])));
    const afterFull = await gradientFor(c, 2, 3);
    expect(Array.from(afterPacked)).toEqual(Array.from(afterFull));
    send(c, { type: 'done', v: PROTOCOL_VERSION, reason: 'finished' });
    await expect(w.done).resolves.toMatchObject({ steps: 2 });
  });

  it('rejoins without a resume point when the connection drops after the welcome but before any weights', async () => {
    server = await fakeServer();
    const w = worker(server.url);
    const first = await server.next();
    await until(() => first.received.find((m) => m.type === 'join'), 'join');
    send(first, welcome());
    await new Promise((r) => setTimeout(r, 50));
    first.ws.terminate();
    const second = await server.next();
    const join = await until(() => second.received.find((m): m is Extract<Message, { type: 'join' }> => m.type === 'join'), 'second join');
    expect(join.resumeFrom).toBeUndefined();
    send(second, { type: 'done', v: PROTOCOL_VERSION, reason: 'finished' });
    await expect(w.done).resolves.toMatchObject({ reason: 'finished', connections: 2 });
  });

  it('adds a weights delta to the last full weights when only the downlink is lossy (--compression none --weights-compression int8)', async () => {
    server = await fakeServer();
    const w = worker(server.url);
    const c = await server.next();
    await until(() => c.received.find((m) => m.type === 'join'), 'join');
    send(c, welcome()); // compression 'none' for the pushes
    const a = new Float32Array(SIZE).map((_, i) => ((i % 7) - 3) / 10);
    const delta = encodeTensor(new Float32Array(SIZE).map((_, i) => ((i % 3) - 1) / 50), { kind: 'int8' });
    send(c, fullWeights(1, a));
    send(c, { type: 'weights', v: PROTOCOL_VERSION, version: 2, encoding: 'delta', baseVersion: 1, payload: delta });
    const afterDelta = await gradientFor(c, 1, 2);
    const d = decodeTensor(delta);
    send(c, fullWeights(3, a.map((x, i) => x + d[i]!)));
    const afterFull = await gradientFor(c, 2, 3);
    expect(Array.from(afterDelta)).toEqual(Array.from(afterFull));
    send(c, { type: 'done', v: PROTOCOL_VERSION, reason: 'finished' });
    await expect(w.done).resolves.toMatchObject({ steps: 2 });
  });

  it('stops for good on a final refusal (wrong token) with WORKER_ERR_REFUSED', async () => {
    server = await fakeServer();
    const w = worker(server.url);
    const c = await server.next();
    await until(() => c.received.find((m) => m.type === 'join'), 'join');
    send(c, { type: 'error', v: PROTOCOL_VERSION, code: 'AUTH_ERR_BAD_TOKEN', message: 'wrong token', fatal: true, replyTo: 1 });
    await expect(w.done).rejects.toMatchObject({ code: 'WORKER_ERR_REFUSED', details: { code: 'AUTH_ERR_BAD_TOKEN' } });
  });

  it('gives up with WORKER_ERR_GAVE_UP when the server stays away longer than giveUpAfterMs', async () => {
    server = await fakeServer();
    const w = worker(server.url, 300);
    const c = await server.next();
    await until(() => c.received.find((m) => m.type === 'join'), 'join');
    send(c, welcome());
    await new Promise((r) => setTimeout(r, 50));
    await server.close();
    server = undefined;
    await expect(w.done).rejects.toMatchObject({ code: 'WORKER_ERR_GAVE_UP' });
  });

  it('keeps its live tensor count flat over 50 steps and reports it, with compute/encode totals, peak RSS and CPU since step 1, in heartbeats', async () => {
    server = await fakeServer();
    const clock = new ManualClock();
    const w = startWorker(resolveWorkerOptions({ serverUrl: server.url, workerId: 'w', token: 't' }), { loadData: async () => data, clock });
    const c = await server.next();
    await until(() => c.received.find((m) => m.type === 'join'), 'join');
    send(c, welcome());
    const heartbeats = (): Extract<Message, { type: 'heartbeat' }>[] => c.received.filter((m): m is Extract<Message, { type: 'heartbeat' }> => m.type === 'heartbeat');
    const tensorsAt: number[] = [];
    for (let step = 1; step <= 50; step++) {
      // New values every step, so each step really writes the model's weights.
      send(c, { type: 'weights', v: PROTOCOL_VERSION, version: step, encoding: 'full', payload: { codec: 'fp32', length: SIZE, data: new Float32Array(SIZE).fill(step / 100) } });
      send(c, work(step, step));
      await until(() => c.received.find((m) => m.type === 'push' && m.step === step), `push ${step}`);
      if (step % 10 === 0) {
        const before = heartbeats().length;
        clock.advance(1_000);
        const hb = await until(() => heartbeats()[before], `heartbeat after step ${step}`);
        expect(hb.stats).toMatchObject({ step });
        expect(hb.stats!.computeMs).toBeGreaterThan(0);
        expect(hb.stats!.encodeMs).toBeGreaterThan(0);
        expect(hb.stats!.peakRssBytes).toBeGreaterThanOrEqual(hb.stats!.rssBytes);
        // CPU counts from the end of step 1: the steps after it, and real process time for them.
        expect(hb.stats!.cpuSteps).toBe(step - 1);
        expect(hb.stats!.cpuMs).toBeGreaterThan(0);
        tensorsAt.push(hb.stats!.tensors!);
      }
    }
    expect(tensorsAt).toHaveLength(5);
    expect(new Set(tensorsAt).size).toBe(1);
    send(c, { type: 'done', v: PROTOCOL_VERSION, reason: 'finished' });
    await expect(w.done).resolves.toMatchObject({ steps: 50 });
  });
});
