/**
 * Multi-host network benchmark: the parameter server, its shards and N synthetic workers on links
 * of their own (Linux network namespaces, veth pairs to a bridge, tbf on both ends of every link;
 * topology.ts), a sweep over N, shards, compression, model and link rate, and an analytic model
 * of the step checked against every point and extrapolated to 100–1,000 workers.
 *
 * Workers are synthetic: the real worker code path with the compute replaced by a wait of the
 * compute time measured here (synthetic-gradients.ts), or, where N of those would need more CPU
 * than the machine has, a lighter worker that sends the same real frames (light-worker.ts). Every
 * process's CPU is measured and CPU-bound points are flagged.
 *
 * Run: npm run bench:network [-- --quick] [--models cnn,cnn-large] [--workers 1,2,4] [--shards 1]
 *        [--compression none,int4/int2] [--link-mbit 1000,10000] [--target-s 20] [--impl auto|real|light]
 *        [--worker-procs 2] [--compute-ms cnn=23.7] [--no-write]
 * Needs root (network namespaces); without, prints a skip line. The full sweep writes
 * bench/results/network.json and network.md; --quick prints one JSON line and writes nothing.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '@dtrain/data';
import type { ModelName } from '@dtrain/model';
import { argNumber, argString } from '../args';
import { acquireBenchLock, releaseBenchLock } from './bench-lock';
import type { ComputeCalibration } from './calibrate-compute';
import { calibrateCompute } from './calibrate-compute';
import type { LinkProbe } from './link-probe';
import { probeLink } from './link-probe';
import { extrapolate, predictPoints, serverCpuFits } from './model-check';
import type { PointResult } from './point-metrics';
import { limitOf, pointMetrics } from './point-metrics';
import type { NetworkReport } from './report-md';
import { renderMarkdown } from './report-md';
import type { Compression } from './run-point';
import { COMPRESSIONS, liveChildren, runPoint } from './run-point';
import { shardSupport } from './shard-support';
import type { PlannedPoint } from './sweep-plan';
import { chooseImpl, crossSweep, defaultSweep, stepsFor } from './sweep-plan';
import { cleanupStale, createTopology, destroyTopology, netnsUnavailable } from './topology';
import type { WorkerImpl } from './worker-process';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
const resultsDir = path.join(repoRoot, 'bench/results');
const DTRAIN = path.join(repoRoot, 'bin/dtrain.js');

const has = (flag: string): boolean => process.argv.includes(`--${flag}`);
const list = (name: string): string[] | undefined => (has(name) ? argString(name, '').split(',').filter(Boolean) : undefined);
const quick = has('quick');

function endAll(): void {
  for (const c of liveChildren) c.kill();
  destroyTopology();
  releaseBenchLock();
}

/** --rerender: the report again from the recorded points (limits, model check, markdown), without measuring. */
function rerender(): void {
  const file = path.join(resultsDir, 'network.json');
  const report = JSON.parse(readFileSync(file, 'utf8')) as NetworkReport;
  const goodput = (mbit: number): number => report.link_probes.find((l) => l.link_mbit === mbit)?.goodput ?? 0.95;
  const encodeFor = (p: PointResult): number => report.compute[p.model]?.encode_ms[p.compression === 'none' ? 'none' : 'int4'] ?? 0;
  for (const p of report.points) p.limit = limitOf(p, encodeFor(p));
  report.model = { server_cpu_fits: serverCpuFits(report.points), predictions: predictPoints(report.points, goodput, encodeFor), extrapolation: extrapolate(report.points, goodput, encodeFor) };
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  writeFileSync(path.join(resultsDir, 'network.md'), renderMarkdown(report));
  console.log(JSON.stringify({ rerendered: report.points.length }));
}

async function main(): Promise<void> {
  if (has('rerender')) return rerender();
  const unavailable = netnsUnavailable();
  if (unavailable) {
    console.log(`network bench skipped: ${unavailable}`);
    console.log(JSON.stringify({ skipped: unavailable }));
    return;
  }
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      console.error(`\n${sig}: ending the bench's processes and removing its namespaces`);
      endAll();
      process.exit(130);
    });
  await acquireBenchLock(15 * 60_000, (holder) => console.error(`waiting for the network bench already running (pid ${holder})`));
  process.once('exit', () => {
    destroyTopology();
    releaseBenchLock();
  });
  const stale = cleanupStale();
  if (stale.length > 0) console.error(`removed stale ${stale.join(', ')}`);

  const shards = shardSupport(DTRAIN);
  const models = (list('models') ?? (quick ? ['cnn'] : undefined)) as ModelName[] | undefined;
  const requestedShards = list('shards')?.map(Number);
  const wantShards = requestedShards ?? (quick ? [shards.available ? 2 : 1] : shards.available ? [1, 2, 4] : [1]);
  if (wantShards.some((k) => k > 1) && !shards.available)
    throw new Error(`K > 1 shards asked for, but this checkout lacks ${shards.missing.join(' and ')}. Run with --shards 1, or once the shard command has landed.`);
  const plan: PlannedPoint[] = quick
    ? [{ model: 'cnn', workers: 16, shards: wantShards[0] ?? 1, linkMbit: 1000, compression: 'int4/int2' }]
    : models || list('workers') || list('compression') || list('link-mbit') || requestedShards
      ? crossSweep(
          models ?? ['cnn'],
          (list('workers') ?? ['1', '2', '4', '8', '16', '32']).map(Number),
          wantShards,
          (list('link-mbit') ?? ['1000']).map(Number),
          (list('compression') ?? [...COMPRESSIONS]) as Compression[],
        )
      : defaultSweep(wantShards);
  for (const p of plan) if (!COMPRESSIONS.includes(p.compression)) throw new Error(`--compression takes ${COMPRESSIONS.join(' | ')}, not ${p.compression}`);
  const impl = argString('impl', 'auto') as WorkerImpl | 'auto';
  const procs = argNumber('worker-procs', 2);
  const targetS = argNumber('target-s', quick ? 15 : 20);

  // Compute time per model: measured here unless given (--compute-ms cnn=23.7,cnn-large=257).
  const given = Object.fromEntries((list('compute-ms') ?? []).map((kv) => kv.split('=') as [string, string]));
  const calibration: Record<string, ComputeCalibration> = {};
  const data = await loadDataset('mnist', { trainLimit: 4096 });
  for (const m of new Set(plan.map((p) => p.model))) {
    const c = await calibrateCompute(m, data, 64, quick ? 8 : 15);
    if (given[m] !== undefined) Object.assign(c, { step_ms: Number(given[m]), method: `given with --compute-ms (measured here: ${c.step_ms} ms)` });
    calibration[m] = c;
    console.error(`compute ${m}: ${c.step_ms} ms per batch-64 step (${c.method}); push encode ${JSON.stringify(c.encode_ms)} ms`);
  }
  const encodeOf = (model: string, compression: string): number => calibration[model]?.encode_ms[compression === 'none' ? 'none' : 'int4'] ?? 0;

  // Each link rate once: does the shaping hold, and what goodput does TCP get on it?
  const probes: Record<number, LinkProbe> = {};
  for (const mbit of new Set(plan.map((p) => p.linkMbit))) {
    createTopology({ workers: 1, shards: 0, linkMbit: mbit });
    try {
      probes[mbit] = await probeLink(mbit);
    } finally {
      destroyTopology();
    }
    console.error(`link ${mbit} Mbit/s: one TCP stream carries ${probes[mbit]!.goodput_mbit} Mbit/s (${probes[mbit]!.goodput} of the rate)`);
  }
  const goodput = (mbit: number): number => probes[mbit]?.goodput ?? 0.95;

  const results: PointResult[] = [];
  const failures: { point: PlannedPoint; error: string }[] = [];
  const t0 = performance.now();
  for (const p of plan) {
    const computeMs = (calibration[p.model] as ComputeCalibration).step_ms;
    const encodeMs = encodeOf(p.model, p.compression);
    const steps = stepsFor(p, computeMs, targetS, quick ? 60 : 40, 300);
    const chosen = chooseImpl(p, computeMs, encodeMs, impl);
    const label = `${p.model} N=${p.workers} K=${p.shards} ${p.linkMbit} Mbit/s ${p.compression} (${chosen} workers, ~${steps} steps)`;
    console.error(`running ${label}`);
    try {
      const run = await runPoint({ ...p, steps, computeMs, encodeMs, impl: chosen, workerProcs: procs, timeoutMs: 300_000 });
      const m = { ...pointMetrics(run, os.cpus().length), impl: chosen };
      results.push(m);
      console.error(`  ${m.samples_per_s} samples/s, efficiency ${m.scaling_efficiency}, step ${m.step_ms} ms, limit: ${m.limit}${m.cpu_bound.length ? ` [CPU-bound: ${m.cpu_bound.join('; ')}]` : ''}`);
    } catch (err) {
      failures.push({ point: p, error: (err as Error).message });
      console.error(`  failed: ${(err as Error).message}`);
      if (quick) throw err;
    }
  }
  // Efficiency against N × the same configuration's one-worker run.
  for (const r of results) {
    const one = results.find((q) => q.workers === 1 && q.model === r.model && q.compression === r.compression && q.link_mbit === r.link_mbit && q.servers === r.servers);
    if (one) r.efficiency_vs_n1 = Math.round((r.samples_per_s / (r.workers * one.samples_per_s)) * 1000) / 1000;
  }

  if (quick) {
    const r = results[0] as PointResult & { impl: WorkerImpl };
    console.log(
      JSON.stringify({
        workers: r.workers,
        servers: r.servers,
        link_mbit: r.link_mbit,
        compression: r.compression,
        model: r.model,
        samples_per_s: r.samples_per_s,
        ideal_samples_per_s: r.ideal_samples_per_s,
        scaling_efficiency: r.scaling_efficiency,
        step_ms: r.step_ms,
        compute_ms: r.compute_ms,
        worker_impl: r.impl,
        limit: r.limit,
        cpu_bound: r.cpu_bound,
        shards_available: shards.available,
      }),
    );
    return;
  }
  const encodeFor = (p: PointResult): number => encodeOf(p.model, p.compression);
  const report = {
    benchmark: 'network',
    when: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? 'unknown',
    duration_s: Math.round((performance.now() - t0) / 1000),
    ideal_definition: 'ideal_samples_per_s = N × 64 × 1000 / compute_ms (every worker computing all the time); efficiency_vs_n1 = samples_per_s / (N × the N = 1 run of the same configuration)',
    compute: calibration,
    link_probes: Object.values(probes),
    shard_support: shards,
    worker_procs: procs,
    points: results,
    failures,
    model: {
      server_cpu_fits: serverCpuFits(results),
      predictions: predictPoints(results, goodput, encodeFor),
      extrapolation: extrapolate(results, goodput, encodeFor),
    },
  };
  if (!has('no-write')) {
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(path.join(resultsDir, 'network.json'), JSON.stringify(report, null, 2) + '\n');
    writeFileSync(path.join(resultsDir, 'network.md'), renderMarkdown(report));
    console.error(`wrote ${path.join(resultsDir, 'network.json')} and network.md`);
  }
  console.log(JSON.stringify({ points: results.length, failures: failures.length, duration_s: report.duration_s }));
}

main().then(
  () => {
    destroyTopology();
    releaseBenchLock();
    process.exit(0);
  },
  (err: unknown) => {
    console.error(`network bench failed: ${(err as Error)?.message ?? String(err)}`);
    endAll();
    process.exit(1);
  },
);
