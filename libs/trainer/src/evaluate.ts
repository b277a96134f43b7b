import type * as tf from '@tensorflow/tfjs';
import type { Dataset } from '@dtrain/data';
import { fillBatch, imageSize } from '@dtrain/data';
import { predictClasses } from '@dtrain/model';
import type { EvaluationReport } from '@dtrain/training';
import { evaluationReport } from '@dtrain/training';

/** Batch used for inference: large enough to amortise kernel launches, small enough to bound memory. */
const EVAL_BATCH = 256;

/**
 * Accuracy, per-class precision/recall/F1, confusion matrix and mean cross-entropy of `model`
 * on the first `limit` samples of `ds` (all when limit is 0).
 */
export function evaluateModel(model: tf.LayersModel, ds: Dataset, limit = 0): EvaluationReport {
  const count = limit > 0 ? Math.min(limit, ds.count) : ds.count;
  // rows · cols · channels: the NHWC floats of one image.
  const pixels = imageSize(ds);
  const images = new Float32Array(count * pixels);
  const labels = new Int32Array(count);
  const indices = Uint32Array.from({ length: count }, (_, i) => i);
  fillBatch(ds, indices, images, labels);
  const { classes, probs } = predictClasses(model, images, count, EVAL_BATCH);
  const numClasses = ds.numClasses;
  let loss = 0;
  for (let i = 0; i < count; i++) loss -= Math.log(Math.max(probs[i * numClasses + (labels[i] ?? 0)] ?? 0, 1e-12));
  return evaluationReport(labels, classes, numClasses, count > 0 ? loss / count : 0);
}
