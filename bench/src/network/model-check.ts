/**
 * The analytic model against the measurements: the server-CPU line fit per model × codec, each
 * measured point predicted with that fit left out of it (leave-one-out, so a point does not
 * predict itself), and the extrapolation to 100–1,000 workers and K shards.
 */
import type { CpuSample, ServerCpu, StepInputs } from './analytic-model';
import { fitServerCpu, predictStep, relativeError } from './analytic-model';
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
}

const group = (p: { model: string; compression: string }): string => `${p.model} ${p.compression}`;
const cpuSample = (p: PointResult): CpuSample => ({ workers: p.workers, bytesPerWorker: p.bytes.push_per_worker + p.bytes.weights_per_worker, cpuMsPerStep: p.cpu.server_ms_per_step });
const r3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Server CPU line per model × codec, from every point of that group (one server only). */
export function serverCpuFits(points: readonly PointResult[]): Record<string, ServerCpu> {
  const out: Record<string, ServerCpu> = {};
  for (const g of new Set(points.map(group))) out[g] = fitServerCpu(points.filter((p) => group(p) === g && p.servers === 1).map(cpuSample));
  return out;
}

function inputs(p: Pick<PointResult, 'workers' | 'servers' | 'link_mbit' | 'compute_ms'>, bytes: { push: number; weights: number }, encodeMs: number, goodput: number, server: ServerCpu): StepInputs {
  return { workers: p.workers, shards: p.servers, linkMbit: p.link_mbit, goodput, computeMs: p.compute_ms, batch: 64, pushBytes: bytes.push, weightsBytes: bytes.weights, encodeMs, server };
}

export function predictPoints(points: readonly PointResult[], goodput: (mbit: number) => number, encodeMs: (p: PointResult) => number): Prediction[] {
  return points.map((p) => {
    const others = points.filter((q) => q !== p && group(q) === group(p) && q.servers === 1).map(cpuSample);
    const fit = fitServerCpu(others.length > 0 ? others : [cpuSample(p)]);
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
    for (const link of EXTRAPOLATE_LINKS)
      for (const servers of EXTRAPOLATE_SERVERS)
        for (const workers of EXTRAPOLATE_WORKERS) {
          const pred = predictStep(inputs({ workers, servers, link_mbit: link, compute_ms: ref.compute_ms }, { push: ref.bytes.push_per_worker, weights: ref.bytes.weights_per_worker }, encodeMs(ref), goodput(link), fits[g] as ServerCpu));
          out.push({ model: ref.model, compression: ref.compression, link_mbit: link, servers, workers, samples_per_s: Math.round(pred.samplesPerS), efficiency: r3(pred.efficiency), limit: pred.limit });
        }
  }
  return out;
}
