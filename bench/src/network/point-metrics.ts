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
  scaling_efficiency: number;
  /** samples_per_s / (N × the same configuration's N = 1 throughput), when that was measured. */
  efficiency_vs_n1: number | null;
  step_ms: number;
  step_breakdown_ms: Record<string, number> | null;
  bytes: {
    push_per_worker: number;
    weights_per_worker: number;
    /** The server's link, each direction, per step (all workers). */
    server_link_in_per_step: number;
    server_link_out_per_step: number;
    /** One worker's link, both directions together. */
    worker_link_per_step: number;
  };
  /** Payload on the server's link per step over what its line rate carries in a step. */
  server_link_utilization: { in: number; out: number };
  cpu: {
    server_ms_per_step: number;
    server_util: number;
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
  const procs = run.workerProcs.map((p) => {
    const stepsHere = p.steady_pushes / Math.max(1, p.workers);
    const late = p.results.reduce((a, r) => a + r.late_steps, 0) / Math.max(1, p.results.reduce((a, r) => a + r.steps, 0));
    return { workers: p.workers, util: r3(p.steady_cpu_ms / Math.max(1, p.steady_wall_ms)), ms_per_step: r2(p.steady_cpu_ms / Math.max(1, stepsHere)), late_fraction: r3(late) };
  });
  const workerMs = procs.reduce((a, p) => a + p.ms_per_step, 0);
  const machine = (serverCpu + workerMs) / stepMs / cpus;
  const cpuBound: string[] = [];
  const serverUtil = serverCpu / stepMs;
  if (serverUtil > CPU_BOUND_UTIL) cpuBound.push(`server at ${Math.round(serverUtil * 100)} % of a core`);
  procs.forEach((p, j) => {
    if (p.util > CPU_BOUND_UTIL) cpuBound.push(`worker process ${j} (${p.workers} workers) at ${Math.round(p.util * 100)} % of a core`);
    if (p.late_fraction > 0.1) cpuBound.push(`worker process ${j}: ${Math.round(p.late_fraction * 100)} % of compute waits started late`);
  });
  if (machine > CPU_BOUND_UTIL) cpuBound.push(`machine at ${Math.round(machine * 100)} % of its ${cpus} cores`);
  const ideal = (n * 64 * 1000) / spec.computeMs;
  const linkIn = (n * push) / lineBytesPerStep;
  const linkOut = (n * weights) / lineBytesPerStep;
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
    scaling_efficiency: r3(s.samples_per_s / ideal),
    efficiency_vs_n1: null,
    step_ms: r2(stepMs),
    step_breakdown_ms: s.step_breakdown_ms,
    bytes: {
      push_per_worker: Math.round(push),
      weights_per_worker: Math.round(weights),
      server_link_in_per_step: Math.round(n * push),
      server_link_out_per_step: Math.round(n * weights),
      worker_link_per_step: Math.round(push + weights),
    },
    server_link_utilization: { in: r3(linkIn), out: r3(linkOut) },
    cpu: { server_ms_per_step: r2(serverCpu), server_util: r3(serverUtil), worker_procs: procs, worker_ms_per_step: r2(workerMs), machine_util: r3(machine) },
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
export function limitOf(p: Pick<PointResult, 'compute_ms' | 'step_ms' | 'server_link_utilization' | 'cpu' | 'cpu_bound'>, encodeMs: number): string {
  if (p.cpu.server_util > CPU_BOUND_UTIL) return 'server CPU';
  if (p.cpu_bound.length > 0) return 'CPU of the simulating machine (flagged)';
  const shares: [string, number][] = [
    ['compute', (p.compute_ms + encodeMs) / p.step_ms],
    ['server link', Math.max(p.server_link_utilization.in, p.server_link_utilization.out)],
    ['server CPU', p.cpu.server_util],
  ];
  shares.sort((a, b) => b[1] - a[1]);
  const [first, second] = shares as [[string, number], [string, number]];
  return second[1] > 0.6 * first[1] ? `${first[0]}, then ${second[0]}` : first[0];
}
