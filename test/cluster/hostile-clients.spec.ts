import { afterEach, describe, expect, it } from 'vitest';
import { createRng } from '@dtrain/common';
import type { Message } from '@dtrain/protocol';
import { ERROR_CODE_PATTERN, PROTOCOL_VERSION, encodeMessage } from '@dtrain/protocol';
import { Cluster, SMALL_RUN, readyz } from './cluster-harness';
import type { PeerOutcome } from './hostile-peer';
import { HostilePeer, joinMessage, nanPush, pushMessage, serverOnlyMessages, wrongShape } from './hostile-peer';

const TOKEN = 'hostile-test-token';
/** Small enough to make oversized frames cheap, large enough for the model's 1.8 MB weights frame. */
const MAX_FRAME = 4 * 1024 * 1024;
/** The server's default per-connection burst; joined sessions stay under it so no frame is rate limited by accident. */
const BURST = 400;
const FATAL_CONNECTIONS = 2_400;
const CONCURRENCY = 24;
const SESSIONS = 20;
const FRAMES_PER_SESSION = BURST - 10;

type Errors = Extract<Message, { type: 'error' }>[];
const errorsOf = (o: PeerOutcome): Errors => o.replies.filter((m): m is Errors[number] => m.type === 'error');

/** One frame on a fresh connection; the server must answer with a coded error and close. */
async function oneShot(url: string, frame: Uint8Array | string): Promise<PeerOutcome> {
  const p = new HostilePeer(url);
  await p.opened;
  p.send(frame);
  return p.closed;
}

describe('hostile clients (real server process)', () => {
  const cluster = new Cluster();
  afterEach(() => cluster.cleanup());

  it('survives ≥ 10,000 hostile frames, answers each with a coded error or a close, and changes no weight', async () => {
    const s = await cluster.server([...SMALL_RUN, '--workers', '2', '--epochs', '1', '--train-limit', '512', '--test-limit', '200', '--token', TOKEN, '--max-frame-bytes', String(MAX_FRAME), '--json', '--log-level', 'warn']);
    const before = (await readyz(s.port))!;
    expect(before).toMatchObject({ state: 'waiting', version: 0 });
    const rng = createRng(20240607);
    const t0 = performance.now();
    let frames = 0;

    // 1. One fatal frame per connection: garbage, wrong shapes, no or wrong token, NaN, pushes before a join.
    const kinds: (() => Uint8Array | string)[] = [
      () => Uint8Array.from({ length: 1 + rng.int(200) }, () => rng.int(256)),
      () => wrongShape(rng),
      () => encodeMessage(joinMessage(undefined)),
      () => encodeMessage(joinMessage('not-the-token')),
      () => encodeMessage(pushMessage(16, 0.5)),
      () => nanPush(),
      () => 'a text frame',
      () => encodeMessage(joinMessage(TOKEN, 'mallory', { protocolVersion: PROTOCOL_VERSION + 1 })),
    ];
    const fatalOutcomes: PeerOutcome[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < FATAL_CONNECTIONS) {
          const kind = kinds[next++ % kinds.length]!;
          fatalOutcomes.push(await oneShot(s.url, kind()));
          frames++;
        }
      }),
    );
    for (const o of fatalOutcomes) {
      expect(o.undecodable).toBe(0);
      expect(errorsOf(o)).toHaveLength(1);
      expect(errorsOf(o)[0]).toMatchObject({ fatal: true, code: expect.stringMatching(ERROR_CODE_PATTERN) });
      expect(o.close?.code).toBe(1008);
    }
    const fatalCodes = new Set(fatalOutcomes.flatMap((o) => errorsOf(o).map((e) => e.code)));
    for (const code of ['PROTO_ERR_MALFORMED', 'AUTH_ERR_MISSING_TOKEN', 'AUTH_ERR_BAD_TOKEN', 'PS_ERR_NOT_JOINED', 'PROTO_ERR_NOT_FINITE', 'PROTO_ERR_BAD_VERSION']) expect(fatalCodes).toContain(code);

    // 2. Oversized frames: refused by the transport before they are buffered, with close 1009.
    for (let i = 0; i < 5; i++) {
      const o = await oneShot(s.url, new Uint8Array(MAX_FRAME + 1));
      frames++;
      expect(o.close?.code).toBe(1009);
    }

    // 3. Joined sessions (with the token): replays of our own push and join, server-only messages,
    // a push naming another worker; each answered, none applied. A NaN tensor ends each session.
    for (let i = 0; i < SESSIONS; i++) {
      const p = new HostilePeer(s.url);
      await p.opened;
      const join = encodeMessage(joinMessage(TOKEN));
      p.send(join);
      await p.replies(1);
      const welcome = p.outcome.replies[0];
      expect(welcome?.type).toBe('welcome');
      const size = (welcome as Extract<Message, { type: 'welcome' }>).manifest.totalSize;
      const push = encodeMessage(pushMessage(size, 1e-3, { step: 7, baseVersion: 0 }));
      const cheap = [join, ...serverOnlyMessages().map((m) => encodeMessage(m))];
      const sent: Uint8Array[] = [push, push, push, encodeMessage(pushMessage(size, 1e-3, { workerId: 'someone-else' }))];
      while (sent.length < FRAMES_PER_SESSION) sent.push(cheap[sent.length % cheap.length]!);
      for (const f of sent) p.send(f);
      p.send(nanPush());
      const o = await p.closed;
      frames += sent.length + 1;
      expect(o.undecodable).toBe(0);
      const answers = o.replies.slice(1);
      expect(answers).toHaveLength(sent.length + 1);
      expect(answers.slice(0, 3)).toEqual(Array.from({ length: 3 }, () => expect.objectContaining({ type: 'ack', status: 'stale', code: 'PS_ERR_STALE_PUSH' })));
      expect(answers[3]).toMatchObject({ type: 'ack', status: 'rejected', code: 'PS_ERR_BAD_WORKER_ID' });
      expect(answers.slice(4, -1).every((m) => m.type === 'error' && m.code === 'PS_ERR_UNEXPECTED_MESSAGE' && !m.fatal)).toBe(true);
      expect(answers.at(-1)).toMatchObject({ type: 'error', code: 'PROTO_ERR_NOT_FINITE', fatal: true });
      expect(o.close?.code).toBe(1008);
    }

    // 4. A flood past the rate limit: a burst passes, the rest is refused, sustained abuse is cut off.
    const flood = new HostilePeer(s.url);
    await flood.opened;
    flood.send(encodeMessage(joinMessage(TOKEN)));
    const heartbeat = encodeMessage({ type: 'heartbeat', v: PROTOCOL_VERSION, ts: 0 });
    const cheapFrame = encodeMessage(serverOnlyMessages()[1]!);
    for (let i = 0; i < 1_000; i++) flood.send(i % 2 ? heartbeat : cheapFrame);
    const fo = await flood.closed;
    frames += 1_001;
    expect(errorsOf(fo).some((e) => e.code === 'PS_ERR_RATE_LIMITED')).toBe(true);
    expect(fo.close?.code).toBe(1008);

    const seconds = (performance.now() - t0) / 1000;
    console.info(`hostile-clients: ${frames} hostile frames in ${seconds.toFixed(1)} s`);
    expect(frames).toBeGreaterThanOrEqual(10_000);

    // The server is up, still waiting for real workers, and not one weight moved.
    const after = (await readyz(s.port))!;
    expect(after).toMatchObject({ state: 'waiting', version: 0, checksum: before.checksum });
    const refusals = s.proc.logs('refused a frame');
    for (const code of ['AUTH_ERR_MISSING_TOKEN', 'AUTH_ERR_BAD_TOKEN']) expect(refusals.some((r) => r['code'] === code)).toBe(true);

    // And it still trains for the real workers.
    const workers = ['good1', 'good2'].map((id) => cluster.worker(s.url, id, [], { DTRAIN_TOKEN: TOKEN }));
    expect((await s.proc.exit(180_000)).code).toBe(0);
    for (const w of workers) expect((await w.exit(30_000)).code).toBe(0);
    const summary = s.proc.lastJson();
    expect(summary['version'] as number).toBeGreaterThan(0);
    const rejected = summary['rejected_frames'] as Record<string, number>;
    expect(rejected['PS_ERR_UNEXPECTED_MESSAGE']).toBeGreaterThanOrEqual(SESSIONS * (FRAMES_PER_SESSION - 4));
    expect(rejected['PROTO_ERR_FRAME_TOO_LARGE']).toBe(5);
  });
});
