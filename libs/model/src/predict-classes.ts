import * as tf from '@tensorflow/tfjs';
import { createForwardPass } from './forward-pass';
import { ModelError } from './model-error';

/** Bounds peak memory of inference; large enough that per-batch overhead is negligible. */
const DEFAULT_PREDICT_BATCH = 256;

/** Class probabilities (softmax) and arg-max classes for `count` images, evaluated in batches. */
export function predictClasses(
  model: tf.LayersModel,
  images: Float32Array,
  count: number,
  batchSize: number = DEFAULT_PREDICT_BATCH,
): { classes: Int32Array; probs: Float32Array } {
  const inShape = model.inputs[0]?.shape.slice(1) as number[];
  const perSample = inShape.reduce((a, b) => a * b, 1);
  const numClasses = model.outputs[0]?.shape[1] as number;
  if (!Number.isInteger(count) || count < 0 || images.length < count * perSample || !(batchSize >= 1)) {
    throw new ModelError('MODEL_ERR_BAD_INPUT', `need ${count * perSample} image values`, { count, images: images.length, batchSize });
  }
  const forward = createForwardPass(model);
  const classes = new Int32Array(count);
  const probs = new Float32Array(count * numClasses);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const [p, c] = tf.tidy(() => {
      const x = tf.tensor4d(images.subarray(start * perSample, (start + n) * perSample), [n, ...inShape] as [number, number, number, number]);
      const prob = tf.softmax(forward.logits(x, undefined));
      return [prob, tf.argMax(prob, 1)];
    });
    probs.set(p.dataSync() as Float32Array, start * numClasses);
    classes.set(c.dataSync() as Int32Array, start);
    p.dispose();
    c.dispose();
  }
  return { classes, probs };
}
