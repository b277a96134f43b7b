/**
 * The analytic model against the measurements: the server-CPU line fit per model × codec, each
 * measured point predicted with that fit left out of it (leave-one-out, so a point does not
 * predict itself), and the extrapolation to 100–1,000 workers and K shards.
 */
import type { CpuSample, ServerCpu, StepInputs } from './analytic-model';
import { fitCoordinator, fitServerCpu, predictStep, relativeError, transferMs } from './analytic-model';
import type { PointResult } from './point-metrics';

export interface Prediction {
  model: string;
  workers: number;
  servers: number;
  link_mbit: number;
  compression: string;
  measured_samples_per_s: number;
  predicted_samples_per_s: number;
  predicted_step_ms: number;
  measured_step_ms: number;
  relative_error: number;
  /** The measured point was flagged CPU-bound (the model does not describe the simulator's CPU). */
  cpu_bound: boolean;
  predicted_limit: string;
}

export interface Extrapolation {
  model: string;
  compression: string;
  link_mbit: number;
  servers: number;
  workers: number;
  samples_per_s: number;
  efficiency: number;
  limit: string;
  step_ms: number;
  /** What each server (shard) would handle per step, and what it would need. */
  per_server: {
    bytes_in_per_step: number;
    bytes_out_per_step: number;
    /** Line rate at which that shard's traffic (in + out, serial in BSP) takes 10 % of the compute time. */
    link_mbit_for_10pct_of_compute: number;
    cpu_ms_per_step: number;
    /** Share of one core at the predicted step. */
    cpu_util: number;
  };
  coordinator_ms_per_step: number;
  /** Which CPU lines the prediction used: measured shards ('measured K>1') or one server's split K ways. */
  cpu_basis: string;
}

const group = (p: { model: string; compression: string }): string => `${p.model} ${p.compression}`;
const cpuSample = (p: PointResult): CpuSample => ({ workers: p.workers, bytesPerWorker: p.bytes.push_per_worker + p.bytes.weights_per_worker, cpuMsPerStep: p.cpu.server_ms_per_step });
const r3 = (x: number): number => Math.round(x * 1000) / 1000;

/** One shard's CPU sample: its bytes are 1/K of every frame; its CPU the mean over the shards. */
const shardSample = (p: PointResult): CpuSample => {
  const ms = p.cpu.shard_ms_per_step ?? [];
  return { workers: p.workers, bytesPerWorker: (p.bytes.push_per_worker + p.bytes.weights_per_worker) / p.servers, cpuMsPerStep: ms.length ? ms.reduce((a, b) => a + b, 0) / ms.length : 0 };
};
const coordSample = (p: PointResult): { workers: number; ms: number } => ({ workers: p.workers, ms: p.cpu.server_ms_per_step });
const sharded = (p: PointResult): boolean => p.servers > 1 && (p.cpu.shard_ms_per_step?.length ?? 0) > 0;

export interface CpuFits {
  server: ServerCpu;
  /** From the measured K > 1 points of the group, when there are any. */
  shard?: ServerCpu;
  coordinator?: { fixedMs: number; perWorkerMs: number };
}

function fitsOf(points: readonly PointResult[]): CpuFits {
  const one = points.filter((p) => p.servers === 1);
  const many = points.filter(sharded);
  return {
    server: fitServerCpu(one.map(cpuSample)),
    ...(many.length > 0 ? { shard: fitServerCpu(many.map(shardSample)), coordinator: fitCoordinator(many.map(coordSample)) } : {}),
  };
}

/** CPU lines per model × codec: the one server's (K = 1 points), and the shards' and coordinator's (K > 1 points). */
export function serverCpuFits(points: readonly PointResult[]): Record<string, CpuFits> {
  const out: Record<string, CpuFits> = {};
  for (const g of new Set(points.map(group))) out[g] = fitsOf(points.filter((p) => group(p) === g));
  return out;
}

function inputs(p: Pick<PointResult, 'workers' | 'servers' | 'link_mbit' | 'compute_ms'>, bytes: { push: number; weights: number }, encodeMs: number, goodput: number, fits: CpuFits): StepInputs {
  return { workers: p.workers, shards: p.servers, linkMbit: p.link_mbit, goodput, computeMs: p.compute_ms, batch: 64, pushBytes: bytes.push, weightsBytes: bytes.weights, encodeMs, server: fits.server, ...(fits.shard ? { shard: fits.shard } : {}), ...(fits.coordinator ? { coordinator: fits.coordinator } : {}) };
}

export function predictPoints(points: readonly PointResult[], goodput: (mbit: number) => number, encodeMs: (p: PointResult) => number): Prediction[] {
  return points.map((p) => {
    // Leave-one-out: the point's own CPU is not an input to its prediction (unless it is alone in its group).
    const others = points.filter((q) => q !== p && group(q) === group(p));
    const same = others.filter((q) => (p.servers === 1 ? q.servers === 1 : sharded(q)));
    const fit = fitsOf(same.length > 0 ? others : [...others, p]);
    const pred = predictStep(inputs(p, { push: p.bytes.push_per_worker, weights: p.bytes.weights_per_worker }, encodeMs(p), goodput(p.link_mbit), fit));
    return {
      model: p.model,
      workers: p.workers,
      servers: p.servers,
      link_mbit: p.link_mbit,
      compression: p.compression,
      measured_samples_per_s: p.samples_per_s,
      predicted_samples_per_s: Math.round(pred.samplesPerS),
      predicted_step_ms: Math.round(pred.stepMs * 100) / 100,
      measured_step_ms: p.step_ms,
      relative_error: r3(relativeError(pred.samplesPerS, p.samples_per_s)),
      cpu_bound: p.cpu_bound.length > 0,
      predicted_limit: pred.limit,
    };
  });
}

export const EXTRAPOLATE_WORKERS = [100, 300, 1000] as const;
export const EXTRAPOLATE_SERVERS = [1, 4, 16] as const;
export const EXTRAPOLATE_LINKS = [1000, 10000] as const;

/** Each model × codec measured, at 1 and 10 Gbit/s, with 1, 4 and 16 servers splitting the parameters. */
export function extrapolate(points: readonly PointResult[], goodput: (mbit: number) => number, encodeMs: (p: PointResult) => number): Extrapolation[] {
  const fits = serverCpuFits(points);
  const out: Extrapolation[] = [];
  for (const g of Object.keys(fits)) {
    const ref = points.filter((p) => group(p) === g).sort((a, b) => a.workers - b.workers)[0] as PointResult;
    const f = fits[g] as CpuFits;
    for (const link of EXTRAPOLATE_LINKS)
      for (const servers of EXTRAPOLATE_SERVERS)
        for (const workers of EXTRAPOLATE_WORKERS) {
          const push = ref.bytes.push_per_worker;
          const weights = ref.bytes.weights_per_worker;
          const pred = predictStep(inputs({ workers, servers, link_mbit: link, compute_ms: ref.compute_ms }, { push, weights }, encodeMs(ref), goodput(link), f));
          const bytesIn = (workers * push) / servers;
          const bytesOut = (workers * weights) / servers;
          // transferMs(b, 1 Mbit/s) is b's time at 1 Mbit/s; the rate that makes it 10 % of the compute time:
          const mbit = transferMs(bytesIn + bytesOut, 1, goodput(link)) / (0.1 * ref.compute_ms);
          out.push({
            model: ref.model,
            compression: ref.compression,
            link_mbit: link,
            servers,
            workers,
            samples_per_s: Math.round(pred.samplesPerS),
            efficiency: r3(pred.efficiency),
            limit: pred.limit,
            step_ms: Math.round(pred.stepMs * 10) / 10,
            per_server: { bytes_in_per_step: Math.round(bytesIn), bytes_out_per_step: Math.round(bytesOut), link_mbit_for_10pct_of_compute: Math.round(mbit), cpu_ms_per_step: Math.round(pred.serverCpuMs * 10) / 10, cpu_util: r3(pred.serverCpuMs / pred.stepMs) },
            coordinator_ms_per_step: Math.round(pred.coordinatorMs * 10) / 10,
            cpu_basis: servers === 1 ? 'measured K=1' : f.shard ? 'measured K>1 (shard + coordinator lines)' : 'K=1 line split K ways (no K>1 measured)',
          });
        }
  }
  return out;
}
