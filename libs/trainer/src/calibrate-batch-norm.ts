import type * as tf from '@tensorflow/tfjs';
import type { Dataset } from '@dtrain/data';
import { fillBatch, imageSize } from '@dtrain/data';
import { batchNormLayers, recalibrateBatchNorm } from '@dtrain/model';

/** Training samples batch norm's statistics are recomputed from before an evaluation or a save. */
export const BATCH_NORM_CALIBRATION_SAMPLES = 1024;

/**
 * Recomputes the model's batch norm statistics for its current weights from up to `samples`
 * training images spread evenly over `ds` (no augmentation), before it is evaluated or saved; see
 * recalibrateBatchNorm for why. Nothing to do (and nothing read) for a model without batch norm.
 */
export function calibrateBatchNorm(model: tf.LayersModel, ds: Dataset, samples = BATCH_NORM_CALIBRATION_SAMPLES): void {
  if (batchNormLayers(model).length === 0) return;
  const n = Math.min(samples, ds.count);
  if (n === 0) return;
  const indices = Uint32Array.from({ length: n }, (_, i) => Math.floor((i * ds.count) / n));
  const images = new Float32Array(n * imageSize(ds));
  fillBatch(ds, indices, images, new Int32Array(n));
  recalibrateBatchNorm(model, images, n);
}
