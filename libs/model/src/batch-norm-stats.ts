import * as tf from '@tensorflow/tfjs';
import { ModelError } from './model-error';

/** The model's batch-normalisation layers, in order. */
export function batchNormLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((l) => l.getClassName() === 'BatchNormalization');
}

function stateOf(layer: tf.layers.Layer, which: 'moving_mean' | 'moving_variance'): tf.LayerVariable {
  const v = layer.weights.find((w) => w.originalName.endsWith(`/${which}`));
  if (!v) throw new ModelError('MODEL_ERR_BAD_CONFIG', `batch norm layer ${layer.name} has no ${which}`, { layer: layer.name });
  return v;
}

/**
 * Sets every batch norm layer's moving mean and variance to the population statistics of its input
 * over `count` images (NHWC floats), computed in batches of `batchSize` with the model in training
 * mode: each layer sees what it sees while training (earlier layers normalised by batch statistics),
 * as PreciseBN does (Wu & Johnson, "Rethinking 'Batch' in BatchNorm", 2021).
 *
 * Why the server does this instead of averaging workers' moving statistics each step: the moving
 * statistics are not trained (no gradient), and an exponential average over steps mixes statistics
 * of weights that no longer exist; recomputing them for the weights being evaluated or saved is exact
 * for those weights, costs a few forward passes per evaluation, and keeps them off the wire (pushes
 * and weight frames carry only what trains). No-op for a model without batch norm.
 */
export function recalibrateBatchNorm(model: tf.LayersModel, images: Float32Array, count: number, batchSize = 64): void {
  const layers = batchNormLayers(model);
  if (layers.length === 0 || count === 0) return;
  const inShape = model.inputs[0]?.shape.slice(1) as number[];
  const perSample = inShape.reduce((a, b) => a * b, 1);
  if (images.length < count * perSample) throw new ModelError('MODEL_ERR_BAD_INPUT', `need ${count * perSample} image values, got ${images.length}`, { count });
  const probe = tf.model({ inputs: model.inputs, outputs: layers.map((l) => l.input as tf.SymbolicTensor) });
  const sums = layers.map((l) => {
    const channels = stateOf(l, 'moving_mean').shape[0] ?? 0;
    return { mean: new Float64Array(channels), square: new Float64Array(channels) };
  });
  // Training mode updates the layers' moving statistics as a side effect: they are overwritten below.
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const moments = tf.tidy(() => {
      const x = tf.tensor4d(images.subarray(start * perSample, (start + n) * perSample), [n, ...inShape] as [number, number, number, number]);
      const outs = probe.apply(x, { training: true }) as tf.Tensor | tf.Tensor[];
      return (Array.isArray(outs) ? outs : [outs]).map((t) => {
        const axes = Array.from({ length: t.rank - 1 }, (_, i) => i);
        return [tf.mean(t, axes), tf.mean(tf.square(t), axes)] as const;
      });
    });
    moments.forEach(([mean, square], i) => {
      const m = mean.dataSync();
      const q = square.dataSync();
      const s = sums[i] as { mean: Float64Array; square: Float64Array };
      for (let c = 0; c < m.length; c++) {
        s.mean[c] = (s.mean[c] as number) + (m[c] as number) * n;
        s.square[c] = (s.square[c] as number) + (q[c] as number) * n;
      }
      mean.dispose();
      square.dispose();
    });
  }
  layers.forEach((l, i) => {
    const s = sums[i] as { mean: Float64Array; square: Float64Array };
    const mean = Float32Array.from(s.mean, (v) => v / count);
    const variance = Float32Array.from(s.square, (v, c) => Math.max(0, v / count - (mean[c] as number) ** 2));
    for (const [which, values] of [['moving_mean', mean], ['moving_variance', variance]] as const) {
      const t = tf.tensor1d(values);
      stateOf(l, which).write(t);
      t.dispose();
    }
  });
}
