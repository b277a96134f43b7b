import * as tf from '@tensorflow/tfjs';
import { createRng } from '@dtrain/common';
import { beforeAll, describe, expect, it } from 'vitest';
import { initWasmAndCpu, randomValues, relativeError } from '../testing';
import { kernelFallbacks, resetKernelFallbacks } from './kernel-fallbacks';

/** Per weight: the whole chain (forward, loss, every gradient kernel) in float32, against cpu. */
const TOL = 1e-4;
const BATCH = 3;
const CLASSES = 10;

/**
 * A small model with one of each layer training meets (odd input size, so edges and strides
 * leave rows unused): conv2d 3×3 'same' without bias, batch norm, ReLU, a residual add, conv2d
 * 5×5/2 'valid' and stride [1, 2], a separable conv, a stride-2 depthwise conv, zero padding, max
 * pooling 3/2, average pooling, both global poolings, flatten, reshape, concatenate, dense.
 */
function buildModel(): tf.LayersModel {
  const input = tf.input({ shape: [17, 17, 3] });
  const conv = (filters: number, kernelSize: number, strides: number | [number, number], padding: 'same' | 'valid', useBias = true): tf.layers.Layer =>
    tf.layers.conv2d({ filters, kernelSize, strides, padding, useBias });
  const a = tf.layers.reLU().apply(tf.layers.batchNormalization().apply(conv(8, 3, 1, 'same', false).apply(input))) as tf.SymbolicTensor; // 17×17×8
  const b = tf.layers.batchNormalization().apply(conv(8, 3, 1, 'same', false).apply(a)) as tf.SymbolicTensor;
  const res = tf.layers.activation({ activation: 'elu' }).apply(tf.layers.add().apply([a, b])) as tf.SymbolicTensor;
  const c3 = conv(12, 5, 2, 'valid').apply(res) as tf.SymbolicTensor; // 7×7×12
  const c4 = conv(12, 3, [1, 2], 'same').apply(c3) as tf.SymbolicTensor; // 7×4×12
  const sep = tf.layers.separableConv2d({ filters: 16, kernelSize: 3, padding: 'same', depthMultiplier: 2, activation: 'relu' }).apply(c4) as tf.SymbolicTensor; // 7×4×16
  const dw = tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 2 }).apply(sep) as tf.SymbolicTensor; // 4×2×32
  const mp = tf.layers.maxPooling2d({ poolSize: 3, strides: 2 }).apply(tf.layers.zeroPadding2d({ padding: 1 }).apply(c3)) as tf.SymbolicTensor; // 9×9 → 4×4×12
  const ap = tf.layers.averagePooling2d({ poolSize: 2, strides: 2 }).apply(mp) as tf.SymbolicTensor; // 2×2×12
  const merged = tf.layers.concatenate().apply([
    tf.layers.globalAveragePooling2d({}).apply(dw) as tf.SymbolicTensor, // 32
    tf.layers.globalMaxPooling2d({}).apply(mp) as tf.SymbolicTensor, // 12
    tf.layers.flatten().apply(ap) as tf.SymbolicTensor, // 48
    tf.layers.reshape({ targetShape: [4 * 2 * 32] }).apply(dw) as tf.SymbolicTensor, // 256
  ]);
  const logits = tf.layers.dense({ units: CLASSES }).apply(merged) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits });
}

/** Seeded values per weight (by position), so both backends start from the same model. */
function seededWeights(model: tf.LayersModel): tf.Tensor[] {
  return model.weights.map((w, i) => {
    const r = randomValues(w.shape.reduce((p, q) => (p as number) * (q as number), 1) as number, 100 + i);
    const name = w.originalName;
    if (name.endsWith('moving_mean')) return tf.zeros(w.shape as number[]);
    if (name.endsWith('moving_variance')) return tf.ones(w.shape as number[]);
    if (name.endsWith('gamma')) return tf.tensor(r.map((v) => 1 + 0.1 * v), w.shape as number[]);
    if (w.shape.length === 1) return tf.tensor(r.map((v) => 0.1 * v), w.shape as number[]); // beta, biases
    // kernels: unit-scale outputs for unit-scale inputs (fan-in: every axis but the last)
    const fanIn = (w.shape as number[]).slice(0, -1).reduce((p, q) => p * q, 1);
    return tf.tensor(r.map((v) => v / Math.sqrt(fanIn)), w.shape as number[]);
  });
}

/** Softmax cross-entropy gradients of every trainable weight, in training mode, on `backend`. */
function weightGradients(backend: 'wasm' | 'cpu'): { name: string; values: Float32Array }[] {
  tf.setBackend(backend);
  const model = buildModel();
  const init = seededWeights(model);
  model.setWeights(init);
  tf.dispose(init);
  const rng = createRng(7);
  const x = tf.tensor4d(randomValues(BATCH * 17 * 17 * 3, 5), [BATCH, 17, 17, 3]);
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: BATCH }, () => rng.int(CLASSES)), 'int32'), CLASSES);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
  const out = model.trainableWeights.map((w, i) => {
    const g = grads[(vars[i] as tf.Variable).name] as tf.Tensor;
    // layer names carry a per-process counter: compare them without it
    return { name: w.originalName.replace(/\d+(?=\/)/, ''), values: Float32Array.from(g.dataSync()) };
  });
  tf.dispose([value, x, labels, ...Object.values(grads)]);
  model.dispose();
  return out;
}

describe('layer-zoo gradients: wasm vs cpu', () => {
  beforeAll(initWasmAndCpu);

  it('gives every trainable weight the same gradient, with no kernel falling back', () => {
    resetKernelFallbacks();
    const wasm = weightGradients('wasm');
    const fallbacks = kernelFallbacks();
    const cpu = weightGradients('cpu');
    expect(wasm.map((g) => g.name)).toEqual(cpu.map((g) => g.name));
    // 4 conv kernels + 2 conv biases, 2 × (gamma, beta), separable (depthwise, pointwise, bias), depthwise (kernel, bias), dense (kernel, bias)
    expect(wasm.length).toBe(17);
    const errors = wasm.map((g, i) => ({ name: g.name, error: relativeError(g.values, (cpu[i] as { values: Float32Array }).values) }));
    for (const { name, error } of errors) expect(error, name).toBeLessThan(TOL);
    // no gradient is trivially zero (a disconnected layer would compare equal)
    for (const g of wasm) expect(Math.max(...Array.from(g.values, Math.abs)), g.name).toBeGreaterThan(0);
    expect(fallbacks).toEqual([]);
  });
});
