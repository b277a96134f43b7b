/**
 * Which points a run measures, and how long each one trains. The default sweep is what the
 * results record; every axis can be narrowed by a flag. Steps per point are sized from the
 * analytic model's guess of the step time, so each point trains for about `targetS` seconds.
 */
import type { ModelName } from '@dtrain/model';
import { modelConfig, parameterCount } from '@dtrain/model';
import { codecBytes, predictStep } from './analytic-model';
import type { Compression } from './run-point';
import type { WorkerImpl } from './worker-process';

export interface PlannedPoint {
  model: ModelName;
  workers: number;
  shards: number;
  linkMbit: number;
  compression: Compression;
}

/** The recorded sweep: cnn at every N on 1 Gbit/s, some N at 10 Gbit/s, cnn-large at a few N. */
export function defaultSweep(shards: readonly number[]): PlannedPoint[] {
  const out: PlannedPoint[] = [];
  const add = (model: ModelName, linkMbit: number, ns: number[]): void => {
    for (const shardsK of shards) for (const compression of ['none', 'int4/int2'] as const) for (const workers of ns) out.push({ model, workers, shards: shardsK, linkMbit, compression });
  };
  add('cnn', 1000, [1, 2, 4, 8, 16, 32]);
  add('cnn', 10000, [1, 8, 32]);
  add('cnn-large', 1000, [1, 4, 16]);
  return out;
}

export function crossSweep(models: ModelName[], workers: number[], shards: number[], links: number[], compressions: Compression[]): PlannedPoint[] {
  const out: PlannedPoint[] = [];
  for (const model of models) for (const linkMbit of links) for (const k of shards) for (const compression of compressions) for (const n of workers) out.push({ model, workers: n, shards: k, linkMbit, compression });
  return out;
}

/** Steps for about targetS seconds of training at the model's guess of the step (clamped). */
export function stepsFor(p: PlannedPoint, computeMs: number, targetS: number, minSteps: number, maxSteps: number): number {
  const n = parameterCount(modelConfig(p.model));
  const guess = predictStep({
    workers: p.workers,
    shards: p.shards,
    linkMbit: p.linkMbit,
    goodput: 0.95,
    computeMs,
    batch: 64,
    pushBytes: codecBytes(n, p.compression === 'none' ? 'none' : 'int4'),
    weightsBytes: codecBytes(n, p.compression === 'none' ? 'none' : 'int2'),
    encodeMs: 0,
    server: { fixedMs: 2, nsPerByte: 1 },
  });
  return Math.max(minSteps, Math.min(maxSteps, Math.round((targetS * 1000) / guess.stepMs)));
}

/** Rough CPU a real worker's code path needs per step besides its compute (weights loading, frames): measured, see docs/network-bench.md. */
const REAL_WORKER_OVERHEAD_MS = 1.5;

/**
 * 'real' (startWorker, compute replaced) wherever N of them fit in half a core beside their
 * wait; else 'light' (light-worker.ts), so the simulator's CPU does not become the measurement.
 * The same rule with K shards: the light worker attaches to them too (light-worker.ts).
 */
export function chooseImpl(p: PlannedPoint, computeMs: number, encodeMs: number, requested: WorkerImpl | 'auto'): WorkerImpl {
  if (requested !== 'auto') return requested;
  return p.workers * (encodeMs + REAL_WORKER_OVERHEAD_MS) <= 0.5 * (computeMs + encodeMs) ? 'real' : 'light';
}
