import { TrainingError, assertLength } from './training-error';

export interface WeightedPart {
  data: Float32Array;
  weight: number;
}

/**
 * `out[i] = Σ w_k · data_k[i] / Σ w_k`, written in place with no temporaries, two parts per pass
 * over memory (the loop is bandwidth-bound). With weights = sample counts and data = per-worker
 * mean gradients this is the mean gradient over all samples. `out` may be one of the parts' arrays.
 * Weights must be finite and ≥ 0 with a positive total (TRAIN_ERR_BAD_WEIGHT / TRAIN_ERR_EMPTY).
 */
export function weightedMeanInto(out: Float32Array, parts: ReadonlyArray<WeightedPart>): Float32Array {
  if (parts.length === 0) throw new TrainingError('TRAIN_ERR_EMPTY', 'weighted mean of no parts');
  let total = 0;
  for (const p of parts) {
    assertLength('part', p.data.length, out.length);
    checkWeight(p.weight);
    total += p.weight;
  }
  if (!(total > 0)) throw new TrainingError('TRAIN_ERR_EMPTY', 'weighted mean with a total weight of 0');
  // If out is one of the inputs, that input must be consumed by the first (assigning) pass.
  const order = [...parts];
  const self = order.findIndex((p) => p.data === out);
  if (self > 0) order.unshift(...order.splice(self, 1));
  const n = out.length;
  for (let k = 0; k < order.length; k += 2) {
    const a = order[k]!;
    const b = order[k + 1];
    const da = a.data;
    const sa = a.weight / total;
    if (b) {
      const db = b.data;
      const sb = b.weight / total;
      if (k === 0) for (let i = 0; i < n; i++) out[i] = sa * da[i]! + sb * db[i]!;
      else for (let i = 0; i < n; i++) out[i]! += sa * da[i]! + sb * db[i]!;
    } else if (k === 0) for (let i = 0; i < n; i++) out[i] = sa * da[i]!;
    else for (let i = 0; i < n; i++) out[i]! += sa * da[i]!;
  }
  return out;
}

export function checkWeight(weight: number): void {
  if (!Number.isFinite(weight) || weight < 0) {
    throw new TrainingError('TRAIN_ERR_BAD_WEIGHT', `aggregation weight must be finite and ≥ 0, got ${weight}`, { weight });
  }
}
