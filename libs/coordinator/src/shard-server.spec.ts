import type { Message } from '@dtrain/protocol';
import { PROTOCOL_VERSION, bearerHeader, decodeMessage, encodeMessage } from '@dtrain/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { shardTicket } from './auth';
import type { RunningShard } from './shard-server';
import { DEFAULT_SHARD_OPTIONS, startShard } from './shard-server';

const v = PROTOCOL_VERSION;
const TOKEN = 'shard-spec-token-0123456789';
const KEY = 'a-ticket-key-for-the-spec';
const SIZE = 6;

interface Conn {
  ws: WebSocket;
  received: Message[];
  closed: Promise<number>;
  send(msg: Message): void;
  next(type: Message['type']): Promise<Message>;
}

const open: Conn[] = [];
let shard: RunningShard | undefined;
afterEach(async () => {
  for (const c of open.splice(0)) c.ws.terminate();
  await shard?.close();
  shard = undefined;
});

function connect(url: string, token?: string): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, token ? { headers: { authorization: bearerHeader(token) } } : {});
    const received: Message[] = [];
    const waiting: (() => void)[] = [];
    ws.on('message', (d: Buffer) => {
      received.push(decodeMessage(d));
      for (const w of waiting.splice(0)) w();
    });
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    const c: Conn = {
      ws,
      received,
      closed,
      send: (msg) => ws.send(encodeMessage(msg)),
      next: (type) =>
        new Promise((res, rej) => {
          const timer = setTimeout(() => rej(new Error(`no ${type}; got ${received.map((m) => m.type).join(',')}`)), 5_000);
          const look = (): void => {
            const i = received.findIndex((m) => m.type === type);
            if (i >= 0) {
              clearTimeout(timer);
              res(received.splice(i, 1)[0]!);
            } else waiting.push(look);
          };
          look();
        }),
    };
    open.push(c);
    ws.once('open', () => resolve(c));
    ws.once('error', reject);
  });
}

const shardOpen = (extra: Partial<Extract<Message, { type: 'shard-open' }>> = {}): Message => ({
  type: 'shard-open',
  v,
  token: TOKEN,
  runId: 'run-1',
  index: 0,
  start: 0,
  end: SIZE,
  version: 0,
  state: { codec: 'fp32', length: SIZE, data: new Float32Array(SIZE).fill(1) },
  optimizer: { kind: 'sgd', learningRate: 0.5, step: 0, slots: [] },
  weightsCompression: 'none',
  ticketKey: KEY,
  maxGradientAbs: 1e6,
  gradientSpikeFactor: 0,
  ...extra,
});

const push = (workerId: string, step: number, values: number[]): Message => ({
  type: 'push',
  v,
  workerId,
  step,
  baseVersion: 0,
  samples: 4,
  loss: 0.5,
  grad: { codec: 'fp32', length: values.length, data: Float32Array.from(values) },
});

async function openShard(): Promise<{ coordinator: Conn }> {
  shard = await startShard({ ...DEFAULT_SHARD_OPTIONS, token: TOKEN });
  const coordinator = await connect(shard.url, TOKEN);
  coordinator.send(shardOpen());
  await coordinator.next('shard-ready');
  return { coordinator };
}

async function attach(workerId: string, ticket = shardTicket(KEY, 'run-1', workerId)): Promise<Conn> {
  const w = await connect(shard!.url);
  w.send({ type: 'attach', v, workerId, runId: 'run-1', ticket });
  return w;
}

describe('parameter shard', () => {
  it('applies the verdict of two held slices as their sample-weighted mean and delivers the slice', async () => {
    const { coordinator } = await openShard();
    const a = await attach('a');
    const b = await attach('b');
    // Attaching brings the slice at its current version, in full.
    expect(await a.next('weights')).toMatchObject({ version: 0, encoding: 'full' });
    await b.next('weights');
    a.send(push('a', 1, [1, 1, 1, 1, 1, 1]));
    b.send({ ...push('b', 2, [3, 3, 3, 3, 3, 3]), samples: 12 } as Message);
    expect(await coordinator.next('receipt')).toMatchObject({ type: 'receipt' });
    await coordinator.next('receipt');
    // The coordinator's own sample counts weigh them (4 and 12): mean 2.5; SGD at 0.5 from 1 → −0.25.
    coordinator.send({ type: 'verdict', v, version: 1, learningRate: 0.5, parts: [{ workerId: 'a', step: 1, samples: 4 }, { workerId: 'b', step: 2, samples: 12 }] });
    coordinator.send({ type: 'deliver', v, version: 1, workers: ['a'] });
    const w = (await a.next('weights')) as Extract<Message, { type: 'weights' }>;
    expect(w.version).toBe(1);
    expect(Array.from(w.payload.codec === 'fp32' ? w.payload.data : [])).toEqual([-0.25, -0.25, -0.25, -0.25, -0.25, -0.25]);
    coordinator.send({ type: 'fetch', v, requestId: 7, optimizer: false });
    expect(await coordinator.next('slice-state')).toMatchObject({ replyTo: 7, version: 1 });
  });

  it('refuses an optimizer state that does not fit its kind, with a coded error, and stays up', async () => {
    shard = await startShard({ ...DEFAULT_SHARD_OPTIONS, token: TOKEN });
    const c = await connect(shard.url, TOKEN);
    c.send(shardOpen({ state: { codec: 'fp32', length: 3 * SIZE, data: new Float32Array(3 * SIZE) }, optimizer: { kind: 'sgd', learningRate: 0.5, step: 0, slots: ['m', 'v'] } }));
    expect(await c.next('error')).toMatchObject({ code: 'TRAIN_ERR_BAD_OPTIMIZER' });
    const again = await connect(shard.url, TOKEN);
    again.send(shardOpen());
    expect(await again.next('shard-ready')).toMatchObject({ version: 0 });
  });

  it('refuses a coordinator without the token, a second coordinator, and work before the slice is open', async () => {
    shard = await startShard({ ...DEFAULT_SHARD_OPTIONS, token: TOKEN });
    const early = await attach('a', 'x');
    expect(await early.next('error')).toMatchObject({ code: 'PS_ERR_SHARD_NOT_OPEN', fatal: false });
    const intruder = await connect(shard.url);
    intruder.send(shardOpen({ token: 'not-the-token-at-all' }));
    expect(await intruder.next('error')).toMatchObject({ code: 'AUTH_ERR_BAD_TOKEN' });
    const coordinator = await connect(shard.url, TOKEN);
    coordinator.send(shardOpen());
    await coordinator.next('shard-ready');
    const second = await connect(shard.url, TOKEN);
    second.send(shardOpen());
    expect(await second.next('error')).toMatchObject({ code: 'PS_ERR_SHARD_BUSY' });
    expect(shard.version).toBe(0);
  });

  it('refuses a worker without the coordinator’s ticket, and one that pushes a slice of the wrong length', async () => {
    const { coordinator } = await openShard();
    const forged = await attach('a', shardTicket('another-key', 'run-1', 'a'));
    expect(await forged.next('error')).toMatchObject({ code: 'AUTH_ERR_BAD_TOKEN' });
    const other = await attach('b', shardTicket(KEY, 'run-1', 'a'));
    expect(await other.next('error')).toMatchObject({ code: 'AUTH_ERR_BAD_TOKEN' });
    const w = await attach('c');
    await w.next('weights');
    w.send(push('c', 1, [1, 2, 3]));
    expect(await coordinator.next('receipt')).toMatchObject({ workerId: 'c', step: 1, code: 'PROTO_ERR_BAD_SHAPE' });
    expect(await w.next('error')).toMatchObject({ code: 'PROTO_ERR_BAD_SHAPE' });
    const impostor = await attach('d');
    await impostor.next('weights');
    impostor.send(push('c', 2, [1, 1, 1, 1, 1, 1]));
    expect(await impostor.next('error')).toMatchObject({ code: 'PS_ERR_BAD_WORKER_ID' });
  });

  it('receipts an out-of-range slice as refused and holds nothing of it', async () => {
    const { coordinator } = await openShard();
    const w = await attach('a');
    await w.next('weights');
    w.send(push('a', 1, [1, 1, 1, 2e6, 1, 1]));
    expect(await coordinator.next('receipt')).toMatchObject({ workerId: 'a', step: 1, code: 'PS_ERR_GRADIENT_OUT_OF_RANGE' });
    // A verdict naming it cannot be applied: the shard closes its slice rather than diverge.
    coordinator.send({ type: 'verdict', v, version: 1, learningRate: 0.5, parts: [{ workerId: 'a', step: 1, samples: 4 }] });
    expect(await coordinator.next('error')).toMatchObject({ code: 'PS_ERR_SHARD_DIVERGED' });
    expect(shard!.version).toBe(-1);
  });

  it('closes its slice on a verdict out of order', async () => {
    const { coordinator } = await openShard();
    const w = await attach('a');
    await w.next('weights');
    w.send(push('a', 1, [1, 1, 1, 1, 1, 1]));
    await coordinator.next('receipt');
    coordinator.send({ type: 'verdict', v, version: 5, learningRate: 0.5, parts: [{ workerId: 'a', step: 1, samples: 4 }] });
    expect(await coordinator.next('error')).toMatchObject({ code: 'PS_ERR_SHARD_DIVERGED' });
  });
});
