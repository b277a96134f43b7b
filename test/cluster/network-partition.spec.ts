import { execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { netnsUnavailable } from '../support/netns';
import { auditAppliedLog, readAppliedLog } from '../support/applied-log';

const repoRoot = join(fileURLToPath(new URL('.', import.meta.url)), '../..');
const BENCH = join(repoRoot, 'bench/src/network/network-bench.ts');

const missing = netnsUnavailable();
if (missing) console.warn(`skipping the network partition test: ${missing}`);

interface Result {
  scenario: string;
  outDir: string;
  workers: number;
  epochs: number;
  train_limit: number;
  cut_ms: number;
  cut_worker: string | null;
  cut_worker_pushes_before: number | null;
  cut_worker_pushes_after: number | null;
  cut_worker_connections: number | null;
  others_pushes_during_cut: number;
  longest_stall_ms: number;
  server_exit: number | null;
}

/** `npm run bench:network -- --partition SCENARIO`: its result line (the run's --out directory in it). */
async function partition(scenario: string): Promise<Result> {
  const child = spawn(process.execPath, ['--import', 'tsx', BENCH, '--partition', scenario], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code, err.slice(-4000)).toBe(0);
  const last = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { partition?: Result[]; skipped?: string };
  expect(last.skipped, 'the bench skipped although this machine passed the same checks').toBeUndefined();
  const r = last.partition?.[0];
  expect(r, out).toBeDefined();
  expect(r!.server_exit, 'the run completes').toBe(0);
  expect(r!.cut_ms).toBeGreaterThanOrEqual(5000);
  return r!;
}

/** Every sample of every epoch applied exactly once, and no (worker, step) applied twice. */
async function expectEverySampleOnce(r: Result): Promise<void> {
  const audit = auditAppliedLog(await readAppliedLog(r.outDir));
  expect(audit.duplicateKeys).toEqual([]);
  expect(audit.samplesPerEpoch).toEqual(Object.fromEntries(Array.from({ length: r.epochs }, (_, e) => [e, r.train_limit])));
  rmSync(r.outDir, { recursive: true, force: true });
}

describe.skipIf(missing !== undefined)('network partitions (namespaces, a link cut at the bridge for 5 s mid-run)', () => {
  it("a worker's link cut for longer than the heartbeat timeout: the worker is lost, rejoins, every sample once", async () => {
    const r = await partition('worker-lost');
    await expectEverySampleOnce(r);
    expect(r.cut_worker_pushes_before).toBeGreaterThan(0);
    expect(r.cut_worker_pushes_after, 'the cut worker pushed again after its link came back').toBeGreaterThan(0);
    expect(r.cut_worker_connections, 'the cut worker reconnected').toBeGreaterThanOrEqual(2);
    // The others went on without it while it was lost.
    expect(r.others_pushes_during_cut).toBeGreaterThan(r.workers);
  }, 120_000);

  it("a worker's link cut for less than the (default) heartbeat timeout: the step waits and resumes, every sample once", async () => {
    const r = await partition('worker-wait');
    await expectEverySampleOnce(r);
    expect(r.cut_worker_pushes_after, 'the cut worker pushed again after its link came back').toBeGreaterThan(0);
    // BSP: at most the step in flight completes without the silent worker's push; then everyone waits.
    expect(r.others_pushes_during_cut).toBeLessThanOrEqual(r.workers);
    expect(r.longest_stall_ms).toBeGreaterThan(3000);
  }, 120_000);

  it("a shard's link cut for less than the heartbeat timeout: the step waits, resumes, nothing applied twice, every sample once", async () => {
    const r = await partition('shard');
    await expectEverySampleOnce(r);
    expect(r.longest_stall_ms).toBeGreaterThan(3000);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toMatch(/\bdtn-/);
  }, 120_000);
});
