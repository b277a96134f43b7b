import { createServer } from 'node:net';
import { silentLogger, systemClock } from '@dtrain/common';
import { afterEach, describe, expect, it } from 'vitest';
import { ParameterStore } from './parameter-store';
import type { RunningShard } from './shard-server';
import { DEFAULT_SHARD_OPTIONS, startShard } from './shard-server';
import { ShardPlane } from './shard-plane';

const TOKEN = 'shard-plane-spec-token-0123';
const opts = (urls: string[], connectTimeoutMs = 5_000) => ({
  urls,
  token: TOKEN,
  maxFrameBytes: 1 << 20,
  connectTimeoutMs,
  pingMs: 1_000,
  silentTimeoutMs: 5_000,
  weightsCompression: 'none',
  maxGradientAbs: 1e6,
  gradientSpikeFactor: 0,
});
const init = (size: number, k: number) => {
  const store = new ParameterStore(new Float32Array(size).fill(0.5), { kind: 'adam', learningRate: 1e-3 }, undefined);
  const cut = Math.floor(size / k);
  const ranges = Array.from({ length: k }, (_, i) => ({ start: i * cut, end: i === k - 1 ? size : (i + 1) * cut }));
  return { runId: 'run-p', ranges, state: store.snapshot(), learningRate: 1e-3, mask: undefined };
};

/** A free loopback port, released again at once (a shard will listen on it later). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const shards: RunningShard[] = [];
afterEach(async () => {
  for (const s of shards.splice(0)) await s.close();
});

describe('ShardPlane.connect', () => {
  it('waits for a shard that starts after the coordinator, then opens every slice and gathers them back', async () => {
    const early = await startShard({ ...DEFAULT_SHARD_OPTIONS, token: TOKEN });
    shards.push(early);
    const port = await freePort();
    const connecting = ShardPlane.connect(opts([early.url, `ws://127.0.0.1:${port}`]), init(10, 2), silentLogger, systemClock());
    await new Promise((r) => setTimeout(r, 1_200));
    shards.push(await startShard({ ...DEFAULT_SHARD_OPTIONS, token: TOKEN, port }));
    const plane = await connecting;
    plane.listen({ receipt: () => undefined, lost: () => undefined });
    expect(plane.routes.map((r) => [r.start, r.end])).toEqual([
      [0, 5],
      [5, 10],
    ]);
    const g = await plane.gather(true);
    expect(g.version).toBe(0);
    expect(Array.from(g.weights)).toEqual(new Array(10).fill(0.5));
    expect(Object.keys(g.optimizer.slots).sort()).toEqual(['m', 'v']);
    await plane.close();
  });

  it('gives up on a shard that never listens with PS_ERR_SHARD_LOST, and lets go of the shards that did open', async () => {
    const live = await startShard({ ...DEFAULT_SHARD_OPTIONS, token: TOKEN });
    shards.push(live);
    const port = await freePort();
    await expect(ShardPlane.connect(opts([`ws://127.0.0.1:${port}`, live.url], 1_500), init(10, 2), silentLogger, systemClock())).rejects.toMatchObject({ code: 'PS_ERR_SHARD_LOST' });
    // The live shard saw its coordinator go and closed the slice it had opened.
    await new Promise((r) => setTimeout(r, 200));
    expect(live.version).toBe(-1);
  });

  it('does not retry a shard that answers and refuses (a wrong token)', async () => {
    const other = await startShard({ ...DEFAULT_SHARD_OPTIONS, token: 'another-token-0123456789' });
    shards.push(other);
    const t0 = Date.now();
    await expect(ShardPlane.connect(opts([other.url], 10_000), init(4, 1), silentLogger, systemClock())).rejects.toMatchObject({ code: 'PS_ERR_SHARD_LOST' });
    expect(Date.now() - t0).toBeLessThan(5_000);
  });
});
