import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeak, initWasmAndCpu, randomValues, relativeError, KERNEL_TOLERANCE } from '../testing';
import { convReluPool, convReluPoolSupported } from './conv-relu-pool';

const TOL = KERNEL_TOLERANCE;

interface Case {
  x: [number, number, number, number];
  co: number;
  /** added to the bias: negative values leave many windows with no positive cell (ReLU gradient 0) */
  shift: number;
}

const CASES: Case[] = [
  { x: [4, 28, 28, 1], co: 32, shift: 0 }, // the model of record's conv1 + pool1
  { x: [7, 28, 28, 1], co: 32, shift: 0 }, // passes of 3 images: 3 + 3 + 1
  { x: [3, 13, 13, 1], co: 8, shift: -0.5 }, // 11×11 conv output: last row and column outside every window
  { x: [2, 10, 9, 1], co: 16, shift: -1 }, // odd width only
  { x: [1, 5, 6, 1], co: 24, shift: 0.2 },
];

/** Loss weights that differ per output cell, so a gradient routed to the wrong cell shows up. */
function weights(shape: number[], seed: number, integer: boolean): tf.Tensor {
  const v = randomValues(shape.reduce((a, b) => a * b, 1), seed);
  return tf.tensor(integer ? v.map((e) => Math.round(e * 3)) : v, shape);
}

interface Values {
  y: Float32Array;
  dx: Float32Array;
  dw: Float32Array;
  db: Float32Array;
}

/** The block's output and its gradients with respect to x, filter and bias, on a backend, fused or not. */
function run(backend: 'wasm' | 'cpu', fused: boolean, x: Float32Array, w: Float32Array, b: Float32Array, c: Case, integer: boolean): Values {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, c.x);
    const wt = tf.tensor4d(w, [3, 3, 1, c.co]);
    const bt = tf.tensor1d(b);
    const block = (xi: tf.Tensor4D, wi: tf.Tensor4D, bi: tf.Tensor1D): tf.Tensor4D =>
      fused ? convReluPool(xi, wi, bi) : tf.maxPool(tf.relu(tf.add(tf.conv2d(xi, wi, 1, 'valid'), bi)) as tf.Tensor4D, 2, 2, 'valid');
    const y = block(xt, wt, bt);
    const lw = weights(y.shape, 11, integer);
    const [dx, dw, db] = tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(block(xi as tf.Tensor4D, wi as tf.Tensor4D, bi as tf.Tensor1D), lw)))([xt, wt, bt]) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const read = (t: tf.Tensor): Float32Array => Float32Array.from(t.dataSync() as Float32Array);
    return { y: read(y), dx: read(dx), dw: read(dw), db: read(db) };
  });
}

describe('fused conv → bias → ReLU → 2×2 pool (wasm) vs the unfused ops on cpu', () => {
  beforeAll(initWasmAndCpu);

  it.each(CASES)('$x, $co channels', (c) => {
    const x = randomValues(c.x.reduce((a, b) => a * b, 1), 3);
    const w = randomValues(9 * c.co, 4);
    const b = randomValues(c.co, 5).map((v) => 0.3 * v + c.shift);
    tf.setBackend('wasm');
    expect(convReluPoolSupported(c.x, [3, 3, 1, c.co])).toBe(true);
    const got = run('wasm', true, x, w, b, c, false);
    const want = run('cpu', false, x, w, b, c, false);
    expect(relativeError(got.y, want.y)).toBeLessThan(TOL);
    expect(relativeError(got.dw, want.dw)).toBeLessThan(TOL);
    expect(relativeError(got.db, want.db)).toBeLessThan(TOL);
    expect(relativeError(got.dx, want.dx)).toBeLessThan(TOL);
    // the case is not vacuous: gradients flow, and some windows are cut off by the ReLU
    expect(got.dw.some((v) => v !== 0)).toBe(true);
    expect(got.y.some((v) => v === 0)).toBe(true);
  });

  it('breaks ties exactly as the unfused ops (integer data: every sum exact, many equal maxima)', () => {
    const c: Case = { x: [3, 12, 12, 1], co: 8, shift: 0 };
    const x = randomValues(3 * 144, 6).map((v) => Math.round(v));
    const w = randomValues(72, 7).map((v) => Math.round(v));
    const b = randomValues(8, 8).map((v) => Math.round(v));
    const got = run('wasm', true, x, w, b, c, true);
    const want = run('cpu', false, x, w, b, c, true);
    for (const k of ['y', 'dx', 'dw', 'db'] as const) expect(Array.from(got[k]), k).toEqual(Array.from(want[k]));
  });

  it('matches the same unfused ops on wasm (our own Conv2D, MaxPoolGrad, … kernels) bit for bit in the forward pass', () => {
    const c: Case = { x: [5, 28, 28, 1], co: 32, shift: 0 };
    const x = randomValues(5 * 784, 9);
    const w = randomValues(288, 10);
    const b = randomValues(32, 11);
    expect(Array.from(run('wasm', true, x, w, b, c, false).y)).toEqual(Array.from(run('wasm', false, x, w, b, c, false).y));
  });

  it('reports the shapes and backends it does not cover, and its kernel refuses them with a code', () => {
    tf.setBackend('wasm');
    expect(convReluPoolSupported([2, 28, 28, 2], [3, 3, 2, 32])).toBe(false); // two input channels
    expect(convReluPoolSupported([2, 28, 28, 1], [3, 3, 1, 12])).toBe(false); // channels not a multiple of 8
    expect(convReluPoolSupported([2, 28, 28, 1], [5, 5, 1, 32])).toBe(false); // 5×5
    expect(convReluPoolSupported([2, 3, 3, 1], [3, 3, 1, 8])).toBe(false); // a 1×1 conv output has no full window
    expect(convReluPoolSupported([2, 28, 28, 1], [3, 3, 1, 32], { strides: [2, 2], pad: 'valid' })).toBe(false);
    expect(convReluPoolSupported([2, 28, 28, 1], [3, 3, 1, 32], { strides: [1, 1], pad: 'same' })).toBe(false);
    expect(convReluPoolSupported([2, 28, 28, 1], [3, 3, 1, 32], { strides: [1, 1], pad: 'valid' })).toBe(true);
    expect(() => tf.tidy(() => convReluPool(tf.zeros([1, 8, 8, 1]), tf.zeros([3, 3, 1, 12]), tf.zeros([12])))).toThrow(
      expect.objectContaining({ code: 'ENGINE_ERR_UNSUPPORTED' }),
    );
    expect(() => tf.tidy(() => convReluPool(tf.zeros([1, 8, 8, 1]), tf.zeros([3, 3, 1, 8]), tf.zeros([16])))).toThrow(
      expect.objectContaining({ code: 'ENGINE_ERR_UNSUPPORTED' }),
    );
    tf.setBackend('cpu');
    expect(convReluPoolSupported([2, 28, 28, 1], [3, 3, 1, 32])).toBe(false);
  });

  it('frees its scratch: no tensor and no wasm memory left behind by forward and backward', () => {
    tf.setBackend('wasm');
    const x = tf.tensor4d(randomValues(4 * 784, 12), [4, 28, 28, 1]);
    const w = tf.variable(tf.tensor4d(randomValues(288, 13), [3, 3, 1, 32]));
    const b = tf.variable(tf.tensor1d(randomValues(32, 14)));
    const step = (): void => {
      const { value, grads } = tf.variableGrads(() => tf.sum(convReluPool(x, w as unknown as tf.Tensor4D, b as unknown as tf.Tensor1D)));
      tf.dispose([value, ...Object.values(grads)]);
    };
    expectNoLeak(step, (actual, expected, what) => expect(actual, what).toBe(expected));
    tf.dispose([x, w, b]);
  });
});
