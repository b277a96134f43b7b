/**
 * Partition scenarios on the bench's namespaces (topology.ts): a short BSP run of the real
 * parameter server (`dtrain server --out DIR`, so it writes applied-pushes.jsonl and workers.json)
 * with a few synthetic workers — the real `startWorker` code path with the compute replaced
 * (worker-process.ts `real`), each on its own bound address and shaped veth — and, mid-run, one
 * link cut at the bridge (`ip -n dtn-br link set dtn-bwI down`, or a shard's `dtn-bhK`) for a few
 * seconds and brought back.
 *
 * - `worker-lost`: a worker's link, the server's heartbeat timeout shorter than the cut
 *   (`--heartbeat-ms 500 --heartbeat-timeout-ms 2000`): the server loses the worker, re-homes its
 *   batch, and the worker must reconnect and rejoin once its link is back.
 * - `worker-wait`: the same cut with the default heartbeat timeout (10 s): the step waits for the
 *   silent worker and resumes when its link is back, without a rejoin.
 * - `shard`: 2 shards, shard 1's link cut for less than the heartbeat timeout (which is also how
 *   long the coordinator tolerates a silent shard): the step waits, resumes.
 *
 * The result names the run's --out directory; the caller (test/cluster/network-partition.spec.ts)
 * audits applied-pushes.jsonl (every sample of every epoch once, no (worker, step) twice).
 * Run: npm run bench:network -- --partition [worker-lost,worker-wait,shard]
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Child } from './child';
import { PORT, TOKEN, WORKER_PROCESS, start, startServer, startShards } from './run-point';
import { sh } from './sh';
import { SERVER_IP, WORKER_NS, createTopology, destroyTopology, workerIp } from './topology';
import type { WorkerProcessReport, WorkerProcessSpec } from './worker-process';

export type PartitionScenario = 'worker-lost' | 'worker-wait' | 'shard';
export const PARTITION_SCENARIOS: readonly PartitionScenario[] = ['worker-lost', 'worker-wait', 'shard'];

export interface PartitionOptions {
  scenario: PartitionScenario;
  workers: number;
  /** The cut, ms. */
  cutMs: number;
  /** Pushes every worker makes before the cut. */
  pushesBeforeCut: number;
  /** The synthetic compute per batch-64 step, ms. */
  computeMs: number;
  epochs: number;
  trainLimit: number;
  linkMbit: number;
}

export const PARTITION_DEFAULTS: Omit<PartitionOptions, 'scenario'> = { workers: 3, cutMs: 5000, pushesBeforeCut: 10, computeMs: 40, epochs: 3, trainLimit: 9600, linkMbit: 1000 };

export interface PartitionResult {
  scenario: PartitionScenario;
  outDir: string;
  workers: number;
  shards: number;
  /** What was cut: `dtn-br/dtn-bw1` (bridge namespace / device). */
  epochs: number;
  train_limit: number;
  cut: string;
  cut_ms: number;
  heartbeat_ms: number | null;
  heartbeat_timeout_ms: number | null;
  /** ms since the run's start at which the link went down / came back up. */
  cut_at_ms: number;
  restored_at_ms: number;
  /** The cut worker (worker scenarios): its pushes before the cut and after the link was back. */
  cut_worker: string | null;
  cut_worker_pushes_before: number | null;
  cut_worker_pushes_after: number | null;
  /** Its connections to the server over the run (2+: it reconnected). */
  cut_worker_connections: number | null;
  /** Pushes by the other workers while the link was down (0: the step waited). */
  others_pushes_during_cut: number;
  /** The longest gap between two pushes of any worker, ms (how long the run stood still). */
  longest_stall_ms: number;
  server_exit: number | null;
  server_summary: Record<string, unknown> | undefined;
  worker_reports: WorkerProcessReport[];
  wall_ms: number;
}

const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

/** `push <index> <epoch ms>` lines the worker process wrote so far. */
function pushes(c: Child): { worker: number; at: number }[] {
  return c.stderr
    .map((l) => /^push (\d+) (\d+)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ worker: Number(m[1]), at: Number(m[2]) }));
}

async function until(what: string, cond: () => boolean, timeoutMs: number, failIf: () => string | undefined): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    const why = failIf();
    if (why) throw new Error(`${what}: ${why}`);
    if (performance.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** One scenario end to end; tears its namespaces down whatever happens. Needs the bench lock held. */
export async function runPartition(o: PartitionOptions): Promise<PartitionResult> {
  const t0 = Date.now();
  const shards = o.scenario === 'shard' ? 2 : 0;
  const heartbeat = o.scenario === 'worker-lost' ? { ms: 500, timeoutMs: 2000 } : undefined;
  const outDir = mkdtempSync(path.join(os.tmpdir(), `dtn-partition-${o.scenario}-`));
  createTopology({ workers: o.workers, shards, linkMbit: o.linkMbit });
  const children: Child[] = [];
  try {
    const urls = await startShards(shards, children);
    const flags = [
      '--compression',
      'int4',
      '--weights-compression',
      'int2',
      ...(heartbeat ? ['--heartbeat-ms', String(heartbeat.ms), '--heartbeat-timeout-ms', String(heartbeat.timeoutMs)] : []),
      ...(urls.length > 0 ? ['--shards', urls.join(',')] : []),
    ];
    const server = await startServer({ workers: o.workers, model: 'cnn', epochs: o.epochs, trainLimit: o.trainLimit, batch: 64, flags, outDir }, children);
    const spec: WorkerProcessSpec = {
      serverUrl: `ws://${SERVER_IP}:${PORT}`,
      token: TOKEN,
      from: 0,
      to: o.workers,
      addresses: Array.from({ length: o.workers }, (_, i) => workerIp(i)),
      computeMs: o.computeMs,
      impl: 'real',
      encodeMs: 0,
      batch: 64,
      poolSize: 4,
      progress: true,
      giveUpAfterMs: 60_000,
    };
    const wp = start('worker process', WORKER_NS, ['--import', 'tsx', WORKER_PROCESS, JSON.stringify(spec)]);
    children.push(wp);
    const exited = (): string | undefined => (server.proc.exitCode !== null ? `the server exited (${server.proc.exitCode}): ${server.stderr.slice(-5).join(' | ')}` : wp.proc.exitCode !== null ? `the worker process exited (${wp.proc.exitCode}): ${wp.stderr.slice(-5).join(' | ')}` : undefined);
    // Mid-run: every worker has pushed a few times.
    await until('workers pushing before the cut', () => Array.from({ length: o.workers }, (_, i) => pushes(wp).filter((p) => p.worker === i).length >= o.pushesBeforeCut).every(Boolean), 120_000, exited);
    const cutWorker = o.scenario === 'shard' ? undefined : o.workers - 1;
    const dev = cutWorker !== undefined ? `dtn-bw${cutWorker}` : 'dtn-bh1';
    sh('ip', ['-n', 'dtn-br', 'link', 'set', dev, 'down']);
    const cutAt = Date.now();
    await sleep(o.cutMs);
    sh('ip', ['-n', 'dtn-br', 'link', 'set', dev, 'up']);
    const restoredAt = Date.now();
    const code = await server.exit(120_000);
    const summary = server.lastJson<Record<string, unknown>>();
    const wcode = await wp.exit(60_000);
    const report = wp.lastJson<WorkerProcessReport>();
    if (wcode !== 0 || !report) throw new Error(`the worker process exited ${wcode} without a report; stderr: ${wp.stderr.slice(-8).join(' | ')}`);
    const all = pushes(wp);
    const mine = cutWorker !== undefined ? all.filter((p) => p.worker === cutWorker) : [];
    const byWorker = new Map<number, number[]>();
    for (const p of all) byWorker.set(p.worker, [...(byWorker.get(p.worker) ?? []), p.at]);
    let stall = 0;
    for (const ts of byWorker.values()) for (let i = 1; i < ts.length; i++) stall = Math.max(stall, (ts[i] as number) - (ts[i - 1] as number));
    return {
      scenario: o.scenario,
      outDir,
      workers: o.workers,
      shards,
      epochs: o.epochs,
      train_limit: o.trainLimit,
      cut: `dtn-br/${dev}`,
      cut_ms: restoredAt - cutAt,
      heartbeat_ms: heartbeat?.ms ?? null,
      heartbeat_timeout_ms: heartbeat?.timeoutMs ?? null,
      cut_at_ms: cutAt - t0,
      restored_at_ms: restoredAt - t0,
      cut_worker: cutWorker !== undefined ? `syn-${cutWorker}` : null,
      cut_worker_pushes_before: cutWorker !== undefined ? mine.filter((p) => p.at < cutAt).length : null,
      cut_worker_pushes_after: cutWorker !== undefined ? mine.filter((p) => p.at >= restoredAt).length : null,
      cut_worker_connections: cutWorker !== undefined ? (report.results.find((r) => r.workerId === `syn-${cutWorker}`)?.connections ?? null) : null,
      others_pushes_during_cut: all.filter((p) => p.worker !== cutWorker && p.at > cutAt + 200 && p.at < restoredAt).length,
      longest_stall_ms: stall,
      server_exit: code,
      server_summary: summary,
      worker_reports: [report],
      wall_ms: Date.now() - t0,
    };
  } finally {
    for (const c of children) c.kill();
    await Promise.all(children.map((c) => c.exited));
    destroyTopology();
  }
}

/** The server's workers.json of a finished scenario (who was lost, who rejoined). */
export function workersFile(outDir: string): unknown {
  return JSON.parse(readFileSync(path.join(outDir, 'workers.json'), 'utf8')) as unknown;
}
