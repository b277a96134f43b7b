/**
 * One process of synthetic workers, run inside the worker namespace: workers [from, to) of the
 * run, each the real `startWorker` (real protocol, sockets, compression, error feedback, weights
 * loading into a real TF.js model) with only its gradient compute replaced (synthetic-gradients.ts)
 * and its socket bound to its own address (bound-host.ts). Its last stdout line is one JSON object
 * with every worker's totals and the process's CPU over the steady window (from every worker's
 * first push to the last push), which is what tells a CPU-bound simulator from a link-bound run.
 * Run (by network-bench.ts): ip netns exec dtn-wk node --import tsx worker-process.ts '<json spec>'
 */
import type { DatasetSplits } from '@dtrain/data';
import { loadDataset } from '@dtrain/data';
import { processCpuMs, silentLogger } from '@dtrain/common';
import { initEngine } from '@dtrain/engine';
import type { WorkerResult } from '@dtrain/worker-runtime';
import { DEFAULT_RECONNECT, resolveWorkerOptions, startWorker } from '@dtrain/worker-runtime';
import type { FrameClock } from './bound-host';
import { boundHost } from './bound-host';
import type { SyntheticCompute } from './synthetic-gradients';
import { GradientPool, syntheticGradients } from './synthetic-gradients';
import type { LightWorkerResult } from './light-worker';
import { EncodedPushes, runLightWorker } from './light-worker';

export interface WorkerProcessSpec {
  serverUrl: string;
  token: string;
  /** Worker indices [from, to) and the address of each. */
  from: number;
  to: number;
  addresses: string[];
  computeMs: number;
  /** 'real': startWorker with the compute replaced; 'light': light-worker.ts (see there for when). */
  impl: WorkerImpl;
  /** A real worker's push compression, ms (the light worker waits it too). */
  encodeMs: number;
  batch: number;
  poolSize: number;
  /** Write `push <worker index> <epoch ms>` to stderr at every push (the partition scenario watches them). */
  progress?: boolean;
  /** How long a worker keeps trying to reach a lost server (ms; default 60 s). */
  giveUpAfterMs?: number;
}

export type WorkerImpl = 'real' | 'light';

export interface WorkerProcessReport {
  pid: number;
  workers: number;
  impl: WorkerImpl;
  results: LightWorkerResult[];
  /** Steady window: from the moment every worker here had pushed once to the last push. */
  steady_wall_ms: number;
  steady_cpu_ms: number;
  /** Pushes made by this process's workers inside the window. */
  steady_pushes: number;
  cpu_ms_total: number;
  pool_ms: number;
  peak_rss_bytes: number;
}

async function main(spec: WorkerProcessSpec): Promise<void> {
  await initEngine({ backend: 'wasm', env: {} });
  // One dataset for the whole process, whatever the welcome names (its workers all join one run).
  const datasets = new Map<string, Promise<DatasetSplits>>();
  const loadData = (s: string): Promise<DatasetSplits> => {
    const d = datasets.get(s) ?? loadDataset(s);
    datasets.set(s, d);
    return d;
  };
  const pool = new GradientPool(spec.poolSize, spec.batch);
  const count = spec.to - spec.from;
  const firstPushed = new Set<number>();
  let window: { t: number; cpu: number; pushes: number } | undefined;
  let last = { t: 0, cpu: 0, pushes: 0 };
  let pushes = 0;
  const onPush = (k: number): void => {
    if (spec.progress) process.stderr.write(`push ${spec.from + k} ${Date.now()}\n`);
    pushes++;
    firstPushed.add(k);
    const now = { t: performance.now(), cpu: processCpuMs(), pushes };
    if (!window && firstPushed.size === count) window = now;
    last = now;
  };
  const results = spec.impl === 'light' ? await runLight(spec, pool, loadData, onPush) : await runReal(spec, pool, loadData, onPush);
  const report: WorkerProcessReport = {
    pid: process.pid,
    workers: count,
    impl: spec.impl,
    results,
    steady_wall_ms: window ? last.t - window.t : 0,
    steady_cpu_ms: window ? last.cpu - window.cpu : 0,
    steady_pushes: window ? last.pushes - window.pushes : 0,
    cpu_ms_total: processCpuMs(),
    pool_ms: Math.round(pool.computeMsTotal),
    peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
  };
  process.stdout.write(JSON.stringify(report) + '\n');
}

type OnPush = (k: number) => void;
type LoadData = (spec: string) => Promise<DatasetSplits>;

/** The real worker code path, compute replaced by the synthetic wait. */
async function runReal(spec: WorkerProcessSpec, pool: GradientPool, loadData: LoadData, onPush: OnPush): Promise<LightWorkerResult[]> {
  const computes: SyntheticCompute[] = [];
  const running = Array.from({ length: spec.to - spec.from }, (_, k) => {
    const i = spec.from + k;
    const frames: FrameClock = { lastFrameAt: undefined };
    const compute: SyntheticCompute = { computeMs: spec.computeMs, offset: i, pool, frames, late: { steps: 0, ms: 0 } };
    computes.push(compute);
    const opts = resolveWorkerOptions({
      serverUrl: spec.serverUrl,
      workerId: `syn-${i}`,
      token: spec.token,
      backend: 'wasm',
      reconnect: { ...DEFAULT_RECONNECT, giveUpAfterMs: spec.giveUpAfterMs ?? 60_000 },
    });
    return startWorker(opts, {
      log: silentLogger,
      backend: 'wasm',
      loadData,
      host: boundHost(spec.addresses[k] as string, frames),
      gradients: syntheticGradients(compute, spec.batch),
      progress: () => onPush(k),
    });
  });
  const results: WorkerResult[] = await Promise.all(running.map((w) => w.done));
  return results.map((r, k) => ({ ...r, late_steps: computes[k]!.late.steps, late_ms: Math.round(computes[k]!.late.ms) }));
}

/** Light workers: real frames, no per-step compression or weights loading (light-worker.ts). */
function runLight(spec: WorkerProcessSpec, pool: GradientPool, loadData: LoadData, onPush: OnPush): Promise<LightWorkerResult[]> {
  const pushes = new EncodedPushes(pool, 2 * spec.poolSize);
  return Promise.all(
    Array.from({ length: spec.to - spec.from }, (_, k) =>
      runLightWorker({
        url: spec.serverUrl,
        token: spec.token,
        workerId: `syn-${spec.from + k}`,
        localAddress: spec.addresses[k] as string,
        stepMs: spec.computeMs + spec.encodeMs,
        batch: spec.batch,
        offset: spec.from + k,
        pushes,
        loadData,
        onPush: () => onPush(k),
      }),
    ),
  );
}

const raw = process.argv[2];
if (!raw) {
  process.stderr.write('usage: worker-process.ts <json spec>\n');
  process.exit(2);
}
main(JSON.parse(raw) as WorkerProcessSpec).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`worker process failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
