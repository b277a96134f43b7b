import type { ModelName } from '@dtrain/model';
import { modelConfig, parameterCount } from '@dtrain/model';

/** The counters of a run's totals the ratio needs. */
export interface PushTotals {
  appliedPushes: number;
  droppedPushes: number;
  stalePushes: number;
  duplicatePushes: number;
  gradientBytes: number;
  weightBytes: number;
}

/** Bytes per weight of the uncompressed reference (float32 on the wire). */
const FP32_BYTES = 4;

/**
 * How many times fewer bytes the run moved for gradients and weights than fp32 would have, as
 * `compression_ratio` in --json. The fp32 reference is what the same pushes cost uncompressed: per
 * push one fp32 gradient up and one fp32 weights frame down (every batch a worker computes is
 * preceded by the weights it computes against, and the version has always moved since its last
 * batch). Frame headers (~100 bytes against ~0.9 MB) are left out, so 'none' comes out at 1.00.
 */
export function compressionRatio(t: PushTotals, model: ModelName, numClasses: number): number {
  return compressionRatioFor(t, parameterCount(modelConfig(model, numClasses)));
}

/** The same for a model known by its weight count (e.g. a loaded one whose config has no built-in name). */
export function compressionRatioFor(t: PushTotals, parameters: number): number {
  const pushes = t.appliedPushes + t.droppedPushes + t.stalePushes + t.duplicatePushes;
  const moved = t.gradientBytes + t.weightBytes;
  if (pushes === 0 || moved === 0) return 1;
  const fp32 = 2 * pushes * FP32_BYTES * parameters;
  return Math.round((fp32 / moved) * 100) / 100;
}
