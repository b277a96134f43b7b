import { Packr } from 'msgpackr';
import WebSocket from 'ws';
import type { Rng } from '@dtrain/common';
import type { Message } from '@dtrain/protocol';
import { PROTOCOL_VERSION, decodeMessage, encodeMessage } from '@dtrain/protocol';

/** What a server said to one connection: its decoded replies and how it closed. */
export interface PeerOutcome {
  replies: Message[];
  /** Replies that were not valid protocol frames (the server must never send one). */
  undecodable: number;
  close: { code: number; reason: string } | undefined;
}

/** A raw WebSocket client that sends whatever it is given and records every reply. */
export class HostilePeer {
  readonly ws: WebSocket;
  readonly outcome: PeerOutcome = { replies: [], undecodable: 0, close: undefined };
  readonly opened: Promise<void>;
  readonly closed: Promise<PeerOutcome>;
  private readonly waiters: { n: number; resolve: () => void }[] = [];

  constructor(url: string) {
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.ws.on('error', () => undefined);
    this.ws.on('message', (raw: Buffer) => {
      try {
        this.outcome.replies.push(decodeMessage(new Uint8Array(raw)));
      } catch {
        this.outcome.undecodable++;
      }
      this.wake();
    });
    this.closed = new Promise((resolve) =>
      this.ws.once('close', (code, reason) => {
        this.outcome.close = { code, reason: reason.toString() };
        this.wake(true);
        resolve(this.outcome);
      }),
    );
  }

  send(frame: Uint8Array | string): void {
    this.ws.send(frame, { binary: typeof frame !== 'string' });
  }

  /** Resolves once `n` replies arrived or the connection closed. */
  replies(n: number): Promise<void> {
    if (this.outcome.replies.length >= n || this.outcome.close) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  private wake(all = false): void {
    for (const w of [...this.waiters]) {
      if (all || this.outcome.replies.length >= w.n) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }
}

const packr = new Packr({ useRecords: false });
const pack = (v: unknown): Uint8Array => packr.pack(v);

export function joinMessage(token: string | undefined, workerId = 'mallory', extra: Record<string, unknown> = {}): Message {
  return {
    type: 'join',
    v: PROTOCOL_VERSION,
    requestId: 1,
    workerId,
    ...(token !== undefined ? { token } : {}),
    protocolVersion: PROTOCOL_VERSION,
    capabilities: { backend: 'hostile', compression: ['none'], maxFrameBytes: 1 << 26 },
    ...extra,
  } as Message;
}

export function pushMessage(length: number, fill: number, extra: Record<string, unknown> = {}): Message {
  return {
    type: 'push',
    v: PROTOCOL_VERSION,
    workerId: 'mallory',
    step: 0,
    baseVersion: 0,
    samples: 64,
    loss: 1,
    grad: { codec: 'fp32', length, data: new Float32Array(length).fill(fill) },
    ...extra,
  } as Message;
}

/** A NaN tensor: the protocol validates every float before anything sees it. */
export function nanPush(length = 16): Uint8Array {
  const msg = pushMessage(length, 0) as Extract<Message, { type: 'push' }>;
  (msg.grad as { data: Float32Array }).data[length >> 1] = Number.NaN;
  return encodeMessage(msg, { validate: false });
}

function randomValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 2 ? 5 : 8)) {
    case 0:
      return rng.int(2) ? rng.int(1 << 30) : -rng.next() * 1e9;
    case 1:
      return Math.random().toString(36).slice(2, 2 + rng.int(12));
    case 2:
      return rng.int(2) === 1;
    case 3:
      return null;
    case 4:
      return Uint8Array.from({ length: rng.int(16) }, () => rng.int(256));
    case 5:
      return Array.from({ length: rng.int(5) }, () => randomValue(rng, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = rng.int(5); i > 0; i--) o[['type', 'v', 'step', 'grad', 'token', 'x', 'requestId'][rng.int(7)]!] = randomValue(rng, depth + 1);
      return o;
    }
  }
}

/** Well-formed msgpack that is not a valid message: wrong top level, wrong types, missing or bad fields. */
export function wrongShape(rng: Rng): Uint8Array {
  const shapes: (() => unknown)[] = [
    () => randomValue(rng),
    () => ({ type: ['join', 'push', 'nope', 7, null][rng.int(5)], v: PROTOCOL_VERSION, ...(randomValue(rng, 2) as object) }),
    () => ({ type: 'push', v: PROTOCOL_VERSION, workerId: 'x', step: 'one', baseVersion: -1, samples: 1e12, loss: 'NaN', grad: { codec: 'fp64', length: 3 } }),
    () => ({ type: 'join', v: PROTOCOL_VERSION + 1, requestId: 1, protocolVersion: 1, capabilities: {} }),
    () => ({ type: 'join', v: PROTOCOL_VERSION, requestId: -5, protocolVersion: 1, capabilities: { backend: 1, compression: 'all', maxFrameBytes: -1 } }),
    () => ({ type: 'heartbeat', v: PROTOCOL_VERSION, ts: 'now', stats: [1, 2, 3] }),
    () => [PROTOCOL_VERSION, 'join', { token: 'x' }],
    () => ({ type: 'push', v: PROTOCOL_VERSION, workerId: '../../etc/passwd', step: 0, baseVersion: 0, samples: 1, loss: 0, grad: { codec: 'fp32', length: 2, data: new Uint8Array(7) } }),
  ];
  return pack(shapes[rng.int(shapes.length)]!());
}

/** Messages only a server sends: a worker sending them is answered PS_ERR_UNEXPECTED_MESSAGE. */
export function serverOnlyMessages(): Message[] {
  const v = PROTOCOL_VERSION;
  return [
    { type: 'ack', v, step: 3, status: 'applied', version: 99 },
    { type: 'done', v, reason: 'finished' },
    { type: 'assign', v, epoch: 0, shard: { strategy: 'iid', seed: 1, index: 0, count: 1 }, members: 1 },
    { type: 'work', v, step: 1, epoch: 0, baseVersion: 0, indices: Uint32Array.of(1, 2, 3), augmentSeed: 5 },
  ];
}
