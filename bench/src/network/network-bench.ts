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
 *        [--worker-procs 2] [--compute-ms cnn=23.7] [--min-steps 40] [--no-write | --append]
 *      npm run bench:network -- --rerender   (the report again from network.json, no measuring)
 *      npm run bench:network -- --partition [worker-lost,worker-wait,shard]   (partition.ts)
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
import { flagContention, limitOf, pointMetrics, scalingEfficiencies } from './point-metrics';
import type { NetworkReport } from './report-md';
import { renderMarkdown } from './report-md';
import type { Compression } from './run-point';
import { COMPRESSIONS, liveChildren, runPoint } from './run-point';
import type { PartitionResult, PartitionScenario } from './partition';
import { PARTITION_DEFAULTS, PARTITION_SCENARIOS, runPartition } from './partition';
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

/**
 * Whether this process holds the bench lock: only then may it tear the namespaces down (a
 * --rerender or a skip beside a running bench must not kill that bench's processes).
 */
let holdsLock = false;

function endAll(): void {
  for (const c of liveChildren) c.kill();
  if (holdsLock) destroyTopology();
  releaseBenchLock();
}

/** --rerender: the report again from the recorded points (limits, model check, markdown), without measuring. */
function rerender(): void {
  const file = path.join(resultsDir, 'network.json');
  const report = JSON.parse(readFileSync(file, 'utf8')) as NetworkReport;
  const goodput = (mbit: number): number => report.link_probes.find((l) => l.link_mbit === mbit)?.goodput ?? 0.95;
  const encodeFor = (p: PointResult): number => report.compute[p.model]?.encode_ms[p.compression === 'none' ? 'none' : 'int4'] ?? 0;
  for (const p of report.points) {
    flagContention(p, report.cpus);
    p.limit = limitOf(p, encodeFor(p));
  }
  scalingEfficiencies(report.points);
  report.model = { server_cpu_fits: serverCpuFits(report.points), predictions: predictPoints(report.points, goodput, encodeFor), extrapolation: extrapolate(report.points, goodput, encodeFor) };
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  writeFileSync(path.join(resultsDir, 'network.md'), renderMarkdown(report));
  console.log(JSON.stringify({ rerendered: report.points.length }));
}

/** --partition [scenario,…]: cut a link mid-run and print what happened (partition.ts), one JSON line at the end. */
async function partitions(): Promise<void> {
  const i = process.argv.indexOf('--partition');
  const arg = process.argv[i + 1];
  const wanted = (arg && !arg.startsWith('--') ? arg.split(',') : [...PARTITION_SCENARIOS]) as PartitionScenario[];
  for (const w of wanted) if (!PARTITION_SCENARIOS.includes(w)) throw new Error(`--partition takes ${PARTITION_SCENARIOS.join(',')}, not ${w}`);
  const results: PartitionResult[] = [];
  for (const scenario of wanted) {
    console.error(`partition ${scenario} (load ${os.loadavg()[0]!.toFixed(2)})`);
    const r = await runPartition({ ...PARTITION_DEFAULTS, scenario, workers: argNumber('workers', PARTITION_DEFAULTS.workers) });
    const { worker_reports: _reports, server_summary: summary, ...brief } = r;
    console.error(`  ${JSON.stringify({ ...brief, samples_per_s: summary?.['samples_per_s'], steps: summary?.['steps'] })}`);
    results.push(r);
  }
  console.log(JSON.stringify({ partition: results, loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100) }));
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
  holdsLock = true;
  process.once('exit', () => {
    destroyTopology();
    releaseBenchLock();
  });
  const stale = cleanupStale();
  if (stale.length > 0) console.error(`removed stale ${stale.join(', ')}`);

  if (has('partition')) return partitions();

  const shards = shardSupport(DTRAIN);
  const models = (list('models') ?? (quick ? ['cnn'] : undefined)) as ModelName[] | undefined;
  const requestedShards = list('shards')?.map(Number);
  const wantShards = requestedShards ?? (quick ? [shards.available ? 2 : 1] : shards.available ? [1, 2, 4] : [1]);
  if (wantShards.some((k) => k > 1) && !shards.available)
    throw new Error(`K > 1 shards asked for, but this checkout lacks ${shards.missing.join(' and ')}. Run with --shards 1, or once the shard command has landed.`);
  const plan: PlannedPoint[] = quick
    ? // The point and its own N = 1 baseline (scaling efficiency is against N × one worker).
      [1, 16].map((workers) => ({ model: 'cnn' as const, workers, shards: wantShards[0] ?? 1, linkMbit: 1000, compression: 'int4/int2' as const }))
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
  const targetS = argNumber('target-s', quick ? 8 : 20);

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
    const steps = stepsFor(p, computeMs, targetS, argNumber('min-steps', quick ? 60 : 40), 300);
    const chosen = chooseImpl(p, computeMs, encodeMs, impl);
    const label = `${p.model} N=${p.workers} K=${p.shards} ${p.linkMbit} Mbit/s ${p.compression} (${chosen} workers, ~${steps} steps)`;
    console.error(`running ${label}`);
    try {
      const run = await runPoint({ ...p, steps, computeMs, encodeMs, impl: chosen, workerProcs: procs, timeoutMs: 300_000 });
      const m = { ...pointMetrics(run, os.cpus().length), impl: chosen, loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100), when: new Date().toISOString() };
      flagContention(m, os.cpus().length);
      m.limit = limitOf(m, encodeMs);
      results.push(m);
      const one = results.find((q) => q.workers === 1 && q.model === m.model && q.compression === m.compression && q.link_mbit === m.link_mbit && q.servers === m.servers);
      const vsOne = one ? Math.round((m.samples_per_s / (m.workers * one.samples_per_s)) * 1000) / 1000 : null;
      console.error(
        `  ${m.samples_per_s} samples/s, vs N×(N=1) ${vsOne ?? '–'}, vs compute ideal ${m.compute_efficiency}, step ${m.step_ms} ms, coordinator/server ${m.cpu.server_ms_per_step} ms/step, shards ${m.cpu.shard_ms_per_step.join('/') || '–'} ms/step, machine ${Math.round(m.cpu.machine_util * 100)} %, load ${os.loadavg()[0]!.toFixed(2)}, limit: ${m.limit}${m.cpu_bound.length ? ` [CPU-bound: ${m.cpu_bound.join('; ')}]` : ''}`,
      );
    } catch (err) {
      failures.push({ point: p, error: (err as Error).message });
      console.error(`  failed: ${(err as Error).message}`);
      if (quick) throw err;
    }
  }
  // The headline: efficiency against N × the same configuration's one-worker run.
  scalingEfficiencies(results);

  if (quick) {
    const r = results.find((q) => q.workers === 16) as PointResult & { impl: WorkerImpl };
    const one = results.find((q) => q.workers === 1) as PointResult & { impl: WorkerImpl };
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
        compute_efficiency: r.compute_efficiency,
        n1_samples_per_s: one.samples_per_s,
        n1_worker_impl: one.impl,
        step_ms: r.step_ms,
        server_cpu_ms_per_step: r.cpu.server_ms_per_step,
        shard_cpu_ms_per_step: r.cpu.shard_ms_per_step,
        machine_cpu: r.cpu.machine_util,
        loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
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
  const report: NetworkReport & { benchmark: string } = {
    benchmark: 'network',
    when: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? 'unknown',
    duration_s: Math.round((performance.now() - t0) / 1000),
    ideal_definition:
      'scaling_efficiency (the headline) = samples_per_s / (N × the measured N = 1 samples/s of the same model, codec, K and link); compute_efficiency = samples_per_s / ideal_samples_per_s, ideal_samples_per_s = N × 64 × 1000 / compute_ms (every worker computing all the time)',
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
  if (has('append')) {
    // Merge into the recorded report: this run's points replace those of the same configuration.
    const old = JSON.parse(readFileSync(path.join(resultsDir, 'network.json'), 'utf8')) as NetworkReport;
    const key = (p: PointResult): string => `${p.model}|${p.compression}|${p.servers}|${p.workers}|${p.link_mbit}`;
    const fresh = new Set(results.map(key));
    const points = [...old.points.filter((p) => !fresh.has(key(p))), ...results];
    scalingEfficiencies(points);
    const probes = [...old.link_probes.filter((l) => !report.link_probes.some((n) => n.link_mbit === l.link_mbit)), ...report.link_probes];
    const goodputAll = (mbit: number): number => probes.find((l) => l.link_mbit === mbit)?.goodput ?? 0.95;
    const compute = { ...old.compute, ...calibration };
    const encodeAll = (p: PointResult): number => compute[p.model]?.encode_ms[p.compression === 'none' ? 'none' : 'int4'] ?? 0;
    Object.assign(report, {
      when: `${old.when}; appended ${report.when}`,
      duration_s: old.duration_s + report.duration_s,
      compute,
      link_probes: probes,
      points,
      failures: [...old.failures, ...failures],
      notes: old.notes,
      model: { server_cpu_fits: serverCpuFits(points), predictions: predictPoints(points, goodputAll, encodeAll), extrapolation: extrapolate(points, goodputAll, encodeAll) },
    });
  }
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
    if (holdsLock) destroyTopology();
    releaseBenchLock();
    process.exit(0);
  },
  (err: unknown) => {
    console.error(`network bench failed: ${(err as Error)?.message ?? String(err)}`);
    endAll();
    process.exit(1);
  },
);
