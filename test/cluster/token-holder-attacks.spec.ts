import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '@dtrain/protocol';
import { encodeMessage } from '@dtrain/protocol';
import { Cluster, SMALL_RUN, readyz } from './cluster-harness';
import { HostilePeer, joinMessage, pushMessage } from './hostile-peer';

// A client that holds the token is still not trusted with the model: against a real server process,
// a push built to overflow Adam's moments is refused and its sender evicted, and a join under a
// live worker's id does not take the worker's place. The run ends as if neither had happened.

const TOKEN = 'token-holder-test-token-0123';

type Of<T extends Message['type']> = Extract<Message, { type: T }>;
const first = <T extends Message['type']>(p: HostilePeer, type: T): Of<T> | undefined => p.outcome.replies.find((m): m is Of<T> => m.type === type);

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('attacks by a token holder (real server process)', () => {
  const cluster = new Cluster();
  afterEach(() => cluster.cleanup());

  it('an all-finite 3e38 push is refused and its sender evicted, an impostor cannot take a live id, and training goes on', async () => {
    const s = await cluster.server([...SMALL_RUN, '--workers', '2', '--epochs', '1', '--train-limit', '4096', '--test-limit', '300', '--token', TOKEN, '--json', '--log-level', 'warn']);
    const real = cluster.worker(s.url, 'w1', [], { DTRAIN_TOKEN: TOKEN });
    const mallory = new HostilePeer(s.url);
    await mallory.opened;
    mallory.send(encodeMessage(joinMessage(TOKEN, 'mallory')));
    await until(() => first(mallory, 'work') !== undefined, 60_000, 'work for mallory');
    const welcome = first(mallory, 'welcome')!;
    const work = first(mallory, 'work')!;
    const before = (await readyz(s.port))!;
    mallory.send(encodeMessage(pushMessage(welcome.manifest.totalSize, 3e38, { step: work.step, baseVersion: work.baseVersion, samples: work.indices.length })));
    const outcome = await mallory.closed;
    expect(outcome.replies).toContainEqual(expect.objectContaining({ type: 'ack', status: 'rejected', code: 'PS_ERR_GRADIENT_OUT_OF_RANGE' }));
    expect(outcome.close?.code).toBe(1008);

    // The real worker is live: a join under its id, with the token but without its session, is refused.
    const impostor = new HostilePeer(s.url);
    await impostor.opened;
    impostor.send(encodeMessage(joinMessage(TOKEN, 'w1')));
    const imp = await impostor.closed;
    expect(imp.replies).toContainEqual(expect.objectContaining({ type: 'error', code: 'PS_ERR_WORKER_ID_IN_USE', fatal: true }));

    expect((await s.proc.exit(120_000)).code).toBe(0);
    const summary = s.proc.lastJson();
    expect(summary['train_samples']).toBe(4096);
    // The model still trains: the poisoned push never reached Adam.
    expect(summary['version'] as number).toBeGreaterThan(before.version);
    expect(summary['test_accuracy'] as number).toBeGreaterThan(0.5);
    expect((await real.exit(30_000)).code).toBe(0);
    expect(real.lastJson()).toMatchObject({ reason: 'finished', connections: 1 });
  }, 180_000);
});
