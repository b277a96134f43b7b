import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fusedBatchNormGradConfig } from './batch-norm-gradient';
import { initWasmAndCpu, randomValues, relativeError } from './testing';

// Ours against tfjs-core's own FusedBatchNorm gradient (the tiling one), on cpu and on wasm, for
// batch norm as tf.layers uses it: per-channel mean and variance of an NHWC (or a flat) batch.
// (Without scale or offset TF.js 4.22 cannot take the gradient at all, with its own gradient or
// ours: its engine and tape read both inputs; such layers are refused by the model config.)

// tfjs-core's own gradient, taken before initEngine registers ours.
const stock = tf.getGradient('FusedBatchNorm')!;

describe('FusedBatchNorm gradient without tiles', () => {
  beforeAll(async () => {
    await initWasmAndCpu();
    expect(stock).not.toBe(fusedBatchNormGradConfig);
    expect(tf.getGradient('FusedBatchNorm')).toBe(fusedBatchNormGradConfig);
  });

  const CASES = [
    { x: [4, 6, 5, 8], m: [8], scale: true, offset: true },
    { x: [1, 3, 3, 3], m: [3], scale: true, offset: true },
    { x: [2, 5, 7, 16], m: [16], scale: true, offset: true },
    { x: [3, 10], m: [10], scale: true, offset: true },
  ];

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`matches tfjs-core's gradient for x, mean, variance, scale and offset on ${backend}`, async () => {
      await tf.setBackend(backend);
      for (const [i, c] of CASES.entries()) {
        const x = tf.tensor(randomValues(c.x.reduce((a, b) => a * b, 1), 10 + i), c.x);
        const mean = tf.tensor(randomValues(c.m.reduce((a, b) => a * b, 1), 20 + i), c.m);
        const variance = tf.abs(tf.tensor(randomValues(c.m.reduce((a, b) => a * b, 1), 30 + i), c.m)).add(0.1);
        const scale = c.scale ? tf.tensor(randomValues(c.m.reduce((a, b) => a * b, 1), 40 + i), c.m) : undefined;
        const offset = c.offset ? tf.tensor(randomValues(c.m.reduce((a, b) => a * b, 1), 50 + i), c.m) : undefined;
        const dy = tf.tensor(randomValues(c.x.reduce((a, b) => a * b, 1), 60 + i), c.x);
        const args = [x, mean, variance, ...(offset ? [offset] : []), ...(scale ? [scale] : [])];
        const f = (...t: tf.Tensor[]): tf.Tensor => {
          const [xx, mm, vv, ...rest] = t as [tf.Tensor, tf.Tensor, tf.Tensor, ...tf.Tensor[]];
          const oo = offset ? rest.shift() : undefined;
          const ss = scale ? rest.shift() : undefined;
          return tf.batchNorm(xx, mm, vv, oo, ss, 1e-3);
        };
        const ours = tf.grads(f)(args, dy).map((t) => t.dataSync());
        tf.unregisterGradient('FusedBatchNorm');
        tf.registerGradient(stock);
        const theirs = tf.grads(f)(args, dy).map((t) => t.dataSync());
        tf.unregisterGradient('FusedBatchNorm');
        tf.registerGradient(fusedBatchNormGradConfig);
        ours.forEach((g, k) => expect(relativeError(g, theirs[k]!), `case ${i} input ${k}`).toBeLessThan(1e-5));
      }
      await tf.setBackend('wasm');
    });
  }
});
