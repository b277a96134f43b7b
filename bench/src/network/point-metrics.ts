/**
 * What one run means: throughput against the ideal, bytes per step on each link, how busy every
 * process's CPU was, and what limited the step. The ideal is N × 64 samples per compute time (N
 * workers computing all the time with nothing in between), so efficiency is throughput over that.
 */
import { codecBytes } from './analytic-model';
import type { PointRun } from './run-point';

export interface PointResult {
  model: string;
  workers: number;
  /** Parameter servers: 1, or K shards. */
  servers: number;
  link_mbit: number;
  compression: string;
  steps: number;
  epochs: number;
  train_limit: number;
  compute_ms: number;
  samples_per_s: number;
  ideal_samples_per_s: number;
  /**
   * The headline: samples_per_s / (N × the measured N = 1 samples/s of the same model, codec, K and
   * link), "against N × one worker"; null until that N = 1 point is measured (scalingEfficiencies).
   */
  scaling_efficiency: number | null;
  /** samples_per_s / ideal_samples_per_s (N workers computing all the time). */
  compute_efficiency: number;
  step_ms: number;
  step_breakdown_ms: Record<string, number> | null;
  bytes: {
    push_per_worker: number;
    weights_per_worker: number;
    /** The server's link (with K shards: one shard's), each direction, per step (all workers). */
    server_link_in_per_step: number;
    server_link_out_per_step: number;
    /** One worker's link, both directions together. */
    worker_link_per_step: number;
  };
  /** Payload on the server's link per step over what its line rate carries in a step. */
  server_link_utilization: { in: number; out: number };
  cpu: {
    /** The parameter server's CPU per step (with K shards: the coordinator's), from its --json. */
    server_ms_per_step: number;
    server_util: number;
    /** Each shard's CPU per step (/proc, from its slice opening to the run's end) and share of a core. */
    shard_ms_per_step: number[];
    shard_util: number[];
    worker_procs: { workers: number; util: number; ms_per_step: number; late_fraction: number }[];
    worker_ms_per_step: number;
    machine_util: number;
  };
  /** Why this point may be a CPU measurement rather than a network one (empty: not CPU-bound). */
  cpu_bound: string[];
  limit: string;
  wall_s: number;
}

const r2 = (x: number): number => Math.round(x * 100) / 100;
const r3 = (x: number): number => Math.round(x * 1000) / 1000;
/** A process above this share of one core for the whole steady window is taken as CPU-bound. */
export const CPU_BOUND_UTIL = 0.85;

/**
 * The machine is shared with other benchmarks: a point that ended with the 1-minute load average
 * above the core count ran oversubscribed (K shards + coordinator + worker processes + others on
 * 2 cores), so its CPU times are stretched: flagged CPU-bound, with the load named.
 */
export function flagContention(p: PointResult & { loadavg?: number[] }, cpus: number): void {
  const load = p.loadavg?.[0];
  const note = `load average ${load} on ${cpus} cores (machine oversubscribed; other benchmarks share it)`;
  if (load !== undefined && load > cpus && !p.cpu_bound.some((c) => c.startsWith('load average'))) p.cpu_bound.push(note);
}

/**
 * Fills `scaling_efficiency` of every point from the N = 1 point of its model, codec, K and link
 * (the "against N × one worker"); points without one keep null.
 */
export function scalingEfficiencies(points: PointResult[]): void {
  for (const p of points) {
    const one = points.find((q) => q.workers === 1 && q.model === p.model && q.compression === p.compression && q.link_mbit === p.link_mbit && q.servers === p.servers);
    p.scaling_efficiency = one ? r3(p.samples_per_s / (p.workers * one.samples_per_s)) : null;
  }
}

export function pointMetrics(run: PointRun, cpus: number): PointResult {
  const r = pointFigures(run, cpus);
  return { ...r, limit: limitOf(r, run.spec.encodeMs) };
}

function pointFigures(run: PointRun, cpus: number): PointResult {
  const { spec, server: s } = run;
  const n = spec.workers;
  const steps = Math.max(1, s.steps);
  const stepMs = s.step_breakdown_ms?.['wall'] ?? (n * 64 * 1000) / Math.max(1e-9, s.samples_per_s);
  const push = s.gradient_bytes / (steps * n);
  // The first weights frame to each worker is the full fp32 model whatever the codec; the steady frame is the delta.
  const weights = spec.compression === 'none' ? s.weight_bytes / (steps * n) : Math.max(0, (s.weight_bytes - n * codecBytes(run.params, 'none')) / (Math.max(1, steps - 1) * n));
  const lineBytesPerStep = (spec.linkMbit * 1e6 * stepMs) / 8 / 1000;
  const serverCpu = s.server_cpu_ms_per_step ?? 0;
  const k = Math.max(1, spec.shards);
  const shardMs = (run.shardRunCpuMs ?? []).map((ms) => ms / steps);
  const shardUtil = shardMs.map((ms) => ms / stepMs);
  const procs = run.workerProcs.map((p) => {
    const stepsHere = p.steady_pushes / Math.max(1, p.workers);
    const late = p.results.reduce((a, r) => a + r.late_steps, 0) / Math.max(1, p.results.reduce((a, r) => a + r.steps, 0));
    return { workers: p.workers, util: r3(p.steady_cpu_ms / Math.max(1, p.steady_wall_ms)), ms_per_step: r2(p.steady_cpu_ms / Math.max(1, stepsHere)), late_fraction: r3(late) };
  });
  const workerMs = procs.reduce((a, p) => a + p.ms_per_step, 0);
  const machine = (serverCpu + shardMs.reduce((a, b) => a + b, 0) + workerMs) / stepMs / cpus;
  const cpuBound: string[] = [];
  const serverUtil = serverCpu / stepMs;
  if (serverUtil > CPU_BOUND_UTIL) cpuBound.push(`${k > 1 ? 'coordinator' : 'server'} at ${Math.round(serverUtil * 100)} % of a core`);
  shardUtil.forEach((u, j) => {
    if (u > CPU_BOUND_UTIL) cpuBound.push(`shard ${j + 1} at ${Math.round(u * 100)} % of a core`);
  });
  procs.forEach((p, j) => {
    if (p.util > CPU_BOUND_UTIL) cpuBound.push(`worker process ${j} (${p.workers} workers) at ${Math.round(p.util * 100)} % of a core`);
    if (p.late_fraction > 0.1) cpuBound.push(`worker process ${j}: ${Math.round(p.late_fraction * 100)} % of compute waits started late`);
  });
  if (machine > CPU_BOUND_UTIL) cpuBound.push(`machine at ${Math.round(machine * 100)} % of its ${cpus} cores`);
  const ideal = (n * 64 * 1000) / spec.computeMs;
  // K shards each carry 1/K of every frame on a link of their own.
  const linkIn = (n * push) / k / lineBytesPerStep;
  const linkOut = (n * weights) / k / lineBytesPerStep;
  return {
    model: spec.model,
    workers: n,
    servers: Math.max(1, spec.shards),
    link_mbit: spec.linkMbit,
    compression: spec.compression,
    steps: s.steps,
    epochs: run.epochs,
    train_limit: run.trainLimit,
    compute_ms: spec.computeMs,
    samples_per_s: r2(s.samples_per_s),
    ideal_samples_per_s: r2(ideal),
    scaling_efficiency: null,
    compute_efficiency: r3(s.samples_per_s / ideal),
    step_ms: r2(stepMs),
    step_breakdown_ms: s.step_breakdown_ms,
    bytes: {
      push_per_worker: Math.round(push),
      weights_per_worker: Math.round(weights),
      server_link_in_per_step: Math.round((n * push) / k),
      server_link_out_per_step: Math.round((n * weights) / k),
      worker_link_per_step: Math.round(push + weights),
    },
    server_link_utilization: { in: r3(linkIn), out: r3(linkOut) },
    cpu: { server_ms_per_step: r2(serverCpu), server_util: r3(serverUtil), shard_ms_per_step: shardMs.map(r2), shard_util: shardUtil.map(r3), worker_procs: procs, worker_ms_per_step: r2(workerMs), machine_util: r3(machine) },
    cpu_bound: cpuBound,
    limit: '',
    wall_s: Math.round(run.wallMs / 100) / 10,
  };
}

/**
 * What limited a point: a flagged CPU bound first (the server's own, or the simulating machine's),
 * else the largest share of the step among the workers' compute (+ encode), the server link's
 * busier direction and the server's CPU.
 */
export function limitOf(p: Pick<PointResult, 'compute_ms' | 'step_ms' | 'server_link_utilization' | 'cpu' | 'cpu_bound' | 'servers'>, encodeMs: number): string {
  const sharded = p.servers > 1;
  const shardUtil = Math.max(0, ...(p.cpu.shard_util ?? []));
  if (p.cpu.server_util > CPU_BOUND_UTIL) return sharded ? 'coordinator CPU' : 'server CPU';
  if (shardUtil > CPU_BOUND_UTIL) return 'shard CPU';
  // A process at its core's limit is the measurement; a load-average flag alone (others on the machine) leaves the shares below telling, marked ⚠.
  if (p.cpu_bound.some((c) => !c.startsWith('load average'))) return 'CPU of the simulating machine (flagged)';
  const shares: [string, number][] = [
    ['compute', (p.compute_ms + encodeMs) / p.step_ms],
    [sharded ? 'shard link' : 'server link', Math.max(p.server_link_utilization.in, p.server_link_utilization.out)],
    [sharded ? 'coordinator CPU' : 'server CPU', p.cpu.server_util],
    ...(sharded ? [['shard CPU', shardUtil] as [string, number]] : []),
  ];
  shares.sort((a, b) => b[1] - a[1]);
  const [first, second] = shares as [[string, number], [string, number]];
  return second[1] > 0.6 * first[1] ? `${first[0]}, then ${second[0]}` : first[0];
}
