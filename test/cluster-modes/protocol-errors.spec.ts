import type { Message } from '@dtrain/protocol';
import { PROTOCOL_VERSION, decodeMessage, encodeMessage } from '@dtrain/protocol';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from './cluster-harness';
import { killChildren, readAppliedLog, removeTempDirs, spawnWorkers, startServerProcess, until } from './cluster-harness';

/** RFC 6455 policy-violation close code, what the server uses for refused peers. */
const CLOSE_POLICY = 1008;
const TRAIN = 3000;

/** A raw WebSocket peer: what it received, decoded, and how it was closed. */
function rawPeer(url: string): { ws: WebSocket; received: Message[]; opened: Promise<void>; closed: Promise<{ code: number; reason: string }> } {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const received: Message[] = [];
  ws.on('message', (raw: Buffer) => received.push(decodeMessage(new Uint8Array(raw))));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return { ws, received, opened, closed };
}

function join(token: string, overrides: Record<string, unknown> = {}): Message {
  return {
    type: 'join',
    v: PROTOCOL_VERSION,
    requestId: 9,
    token,
    protocolVersion: PROTOCOL_VERSION,
    capabilities: { backend: 'none', compression: ['none'], maxFrameBytes: 1 << 20 },
    ...overrides,
  } as Message;
}

const errorsOf = (msgs: Message[]) => msgs.filter((m): m is Extract<Message, { type: 'error' }> => m.type === 'error');

describe('bad peers get a coded error and a closed connection while the others keep training (real processes and sockets)', () => {
  let s: ServerProcess;

  beforeAll(async () => {
    s = await startServerProcess(['--workers', '2', '--train-limit', String(TRAIN), '--batch-size', '64', '--epochs', '1', '--test-limit', '300', '--seed', '3']);
    spawnWorkers(s.url, s.token, [[], []]);
    await until(async () => (await s.ready()).version >= 2, 90_000, 'two training steps');
  }, 120_000);

  afterAll(async () => {
    await killChildren();
    await removeTempDirs();
  });

  it('a frame of another protocol version: PROTO_ERR_BAD_VERSION, then close', async () => {
    const p = rawPeer(s.url);
    await p.opened;
    p.ws.send(encodeMessage(join(s.token, { v: PROTOCOL_VERSION + 1, protocolVersion: PROTOCOL_VERSION + 1 }), { validate: false }));
    const closed = await p.closed;
    expect(closed.code).toBe(CLOSE_POLICY);
    expect(errorsOf(p.received).map((e) => [e.code, e.fatal])).toEqual([['PROTO_ERR_BAD_VERSION', true]]);
  });

  it('a join that asks for another protocol version: PROTO_ERR_BAD_VERSION in reply to its request, then close', async () => {
    const p = rawPeer(s.url);
    await p.opened;
    p.ws.send(encodeMessage(join(s.token, { protocolVersion: PROTOCOL_VERSION + 1 }), { validate: false }));
    const closed = await p.closed;
    expect(closed.code).toBe(CLOSE_POLICY);
    expect(errorsOf(p.received)).toEqual([expect.objectContaining({ code: 'PROTO_ERR_BAD_VERSION', fatal: true, replyTo: 9 })]);
  });

  it('a malformed frame before joining: PROTO_ERR_MALFORMED, then close', async () => {
    const p = rawPeer(s.url);
    await p.opened;
    p.ws.send(Buffer.from([0xc1, 0x00, 0xff, 0x13, 0x37])); // 0xc1 is never used by msgpack
    const closed = await p.closed;
    expect(closed.code).toBe(CLOSE_POLICY);
    expect(errorsOf(p.received).map((e) => e.code)).toEqual(['PROTO_ERR_MALFORMED']);
  });

  it('a joined worker that answers its work with a malformed frame is dropped; its batch goes to the others', async () => {
    const p = rawPeer(s.url);
    await p.opened;
    p.ws.send(encodeMessage(join(s.token, { workerId: 'rogue' })));
    await until(() => p.received.some((m) => m.type === 'work'), 30_000, 'work for the rogue worker');
    expect(p.received.some((m) => m.type === 'welcome')).toBe(true);
    p.ws.send(Buffer.from('this is not msgpack'));
    const closed = await p.closed;
    expect(closed.code).toBe(CLOSE_POLICY);
    expect(errorsOf(p.received).map((e) => e.code)).toEqual(['PROTO_ERR_MALFORMED']);
  }, 40_000);

  it('training went on to the end: every sample once, by the two real workers only', async () => {
    const versionAtIncidents = (await s.ready()).version;
    const summary = await s.summary();
    expect(summary['train_samples']).toBe(TRAIN);
    expect(summary['version'] as number).toBeGreaterThan(versionAtIncidents);
    expect(summary['rejected_frames']).toMatchObject({ PROTO_ERR_BAD_VERSION: 2, PROTO_ERR_MALFORMED: 2 });
    expect(summary['test_accuracy'] as number).toBeGreaterThan(0.6);
    const applied = await readAppliedLog(s.outDir);
    expect([...new Set(applied.map((a) => a.workerId))].sort()).toEqual(['w1', 'w2']);
  }, 120_000);
});
