import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '@dtrain/protocol';
import { encodeMessage } from '@dtrain/protocol';
import { Cluster, SMALL_RUN, eventually } from './cluster-harness';
import { HostilePeer, joinMessage, pushMessage } from './hostile-peer';

// Attacks by a token holder on the server's memory, against a real server process: pushing
// without ever reading what the server sends back, and joining under thousands of fresh ids.
// Each leaves the server up and responsive with its memory bounded, and the run finishes.

const TOKEN = 'growth-attack-test-token-0123';
const MB = 1024 * 1024;

const rssOf = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024;

async function healthzMs(port: number): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5_000) });
  expect(res.status).toBe(200);
  return performance.now() - t0;
}

/** Samples a process's RSS every 25 ms until stopped; returns the peak. */
function rssPeak(pid: number): { stop: () => number } {
  let peak = rssOf(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssOf(pid));
  }, 25);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, rssOf(pid));
    },
  };
}

type Of<T extends Message['type']> = Extract<Message, { type: T }>;
const first = <T extends Message['type']>(p: HostilePeer, type: T): Of<T> | undefined => p.outcome.replies.find((m): m is Of<T> => m.type === type);

describe('attacks on the server memory by a token holder (real server process)', () => {
  const cluster = new Cluster();
  afterEach(() => cluster.cleanup());

  it('a worker that pushes but never reads is cut off with PS_ERR_SLOW_CONSUMER once its unsent frames pass the bound', async () => {
    const PUSHES = 300;
    const BOUND = 16 * MB;
    // The attacker is the only worker of an ASP run, so it can predict each next step and version
    // without reading its work: every push is applied and answered with a full weights frame (≈ 0.9 MB).
    const s = await cluster.server(['--dataset', 'mnist', '--batch-size', '64', '--seed', '7', '--mode', 'asp', '--workers', '1', '--epochs', '1', '--train-limit', '25600', '--test-limit', '200', '--token', TOKEN, '--max-send-buffer-bytes', String(BOUND), '--log-level', 'warn']);
    const pid = s.proc.child.pid!;
    const mallory = new HostilePeer(s.url);
    await mallory.opened;
    mallory.send(encodeMessage(joinMessage(TOKEN, 'mallory')));
    await eventually(() => first(mallory, 'work'), 60_000, 'work for mallory');
    const welcome = first(mallory, 'welcome')!;
    const work = first(mallory, 'work')!;
    const rss0 = rssOf(pid);
    const peak = rssPeak(pid);
    // From here on it reads nothing.
    mallory.ws.pause();
    let sent = 0;
    for (; sent < PUSHES && mallory.ws.readyState === mallory.ws.OPEN; sent++) {
      mallory.send(encodeMessage(pushMessage(welcome.manifest.totalSize, 0, { step: work.step + sent, baseVersion: work.baseVersion + sent, samples: work.indices.length })));
      // Let the server take each push in (our own send buffer would otherwise hold them all).
      while (mallory.ws.bufferedAmount > 0) await new Promise((r) => setTimeout(r, 1));
    }
    await new Promise((r) => setTimeout(r, 500));
    const grew = peak.stop() - rss0;
    console.info(`growth attacks: ${sent} blind pushes, server RSS peak +${(grew / MB).toFixed(1)} MB (send-buffer bound ${BOUND / MB} MiB)`);
    // Without the bound the server holds ~0.9 MB per applied push. Measured peaks for 300 pushes:
    // +284 MB with a 1 GiB bound, +102 MB at 64 MiB, +74 MB at the default 32 MiB, +56 MB at 16 MiB.
    expect(grew).toBeLessThan(100 * MB);
    await s.proc.waitFor(/PS_ERR_SLOW_CONSUMER/, 30_000);
    expect(await healthzMs(s.port)).toBeLessThan(1_000);
    // Reading again, the attacker finds its coded error (or the server already cut the socket).
    mallory.ws.resume();
    const outcome = await mallory.closed;
    const coded = outcome.replies.some((m) => m.type === 'error' && m.code === 'PS_ERR_SLOW_CONSUMER');
    expect(coded || outcome.close?.code === 1006).toBe(true);
  }, 180_000);

  it('3,000 joins under fresh ids leave the membership, the worker table and the memory bounded, and a --workers 3 run under more of them ends as a clean one does', async () => {
    const JOINS = 3_000;
    const RUN = [...SMALL_RUN, '--workers', '3', '--epochs', '1', '--train-limit', '3072', '--test-limit', '500', '--token', TOKEN, '--json', '--log-level', 'error'];
    const s = await cluster.server([...RUN, '--dashboard-port', '0']);
    const dash = await s.proc.waitFor(/dashboard[^\n]*http:\/\/[^\s:]+:(\d+)/, 30_000);
    const dashPort = Number(dash[1]);
    const pid = s.proc.child.pid!;
    const rss0 = rssOf(pid);
    const snapshotBytes = async (): Promise<number> => (await (await fetch(`http://127.0.0.1:${dashPort}/api/snapshot`)).arrayBuffer()).byteLength;
    const before = await snapshotBytes();
    // Eight at a time: join, take the first reply, drop the connection.
    let next = 0;
    const churn = async (until: number): Promise<void> => {
      while (next < until) {
        const id = `sybil-${next++}`;
        const p = new HostilePeer(s.url);
        await p.opened;
        p.send(encodeMessage(joinMessage(TOKEN, id)));
        await p.replies(1);
        p.ws.terminate();
        await p.closed;
      }
    };
    await Promise.all(Array.from({ length: 8 }, () => churn(JOINS)));
    const afterChurn = await snapshotBytes();
    const grew = rssOf(pid) - rss0;
    console.info(`growth attacks: ${JOINS} sybil joins, snapshot ${before} → ${afterChurn} bytes, server RSS +${(grew / MB).toFixed(1)} MB`);
    expect(grew).toBeLessThan(100 * MB);
    expect(await healthzMs(s.port)).toBeLessThan(1_000);
    const snap = (await (await fetch(`http://127.0.0.1:${dashPort}/api/snapshot`)).json()) as { workers: unknown[]; status: { omittedWorkers: number } };
    expect(snap.workers.length).toBeLessThanOrEqual(64);
    // Gone members are forgotten past 256: what is left to count is bounded too.
    expect(snap.status.omittedWorkers).toBeLessThanOrEqual(256);
    expect(afterChurn).toBeLessThan(64 * 1024);

    // Three honest workers train the run while the sybils keep coming.
    const workers = ['w1', 'w2', 'w3'].map((id) => cluster.worker(s.url, id, [], { DTRAIN_TOKEN: TOKEN }));
    const moreChurn = Promise.all(Array.from({ length: 2 }, () => churn(JOINS + 400)));
    expect((await s.proc.exit(180_000)).code).toBe(0);
    await moreChurn.catch(() => undefined);
    for (const w of workers) expect((await w.exit(30_000)).code).toBe(0);
    const attacked = s.proc.lastJson();
    expect(attacked['train_samples']).toBe(3072);

    // The same run with no one attacking it.
    const clean = await cluster.server(RUN, 'clean-server');
    const cleanWorkers = ['w1', 'w2', 'w3'].map((id) => cluster.worker(clean.url, id, [], { DTRAIN_TOKEN: TOKEN }));
    expect((await clean.proc.exit(180_000)).code).toBe(0);
    for (const w of cleanWorkers) expect((await w.exit(30_000)).code).toBe(0);
    const cleanAcc = clean.proc.lastJson()['test_accuracy'] as number;
    const acc = attacked['test_accuracy'] as number;
    console.info(`growth attacks: --workers 3 test accuracy ${(acc * 100).toFixed(2)} % under sybil joins, ${(cleanAcc * 100).toFixed(2)} % clean`);
    expect(Math.abs(acc - cleanAcc)).toBeLessThan(0.05);
  }, 300_000);
});
