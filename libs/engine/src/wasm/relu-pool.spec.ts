import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeak, initWasmAndCpu, randomValues, relativeError, KERNEL_TOLERANCE } from '../testing';
import { reluPool, reluPoolSupported } from './relu-pool';

const SHAPES: [number, number, number, number][] = [
  [4, 11, 11, 64], // conv2 of the model of record: last row and column outside every window
  [2, 8, 8, 4],
  [3, 9, 8, 12], // odd height only
  [2, 8, 9, 8], // odd width only
  [2, 26, 26, 32],
];

/** Output and gradient of maxPool(relu(z)) under per-cell loss weights, fused (ours) or as the two stock ops. */
function run(backend: 'wasm' | 'cpu', fused: boolean, z: Float32Array, shape: [number, number, number, number], integer: boolean): { y: Float32Array; dz: Float32Array } {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const zt = tf.tensor4d(z, shape);
    const block = (a: tf.Tensor4D): tf.Tensor4D => (fused ? reluPool(a) : tf.maxPool(tf.relu(a), 2, 2, 'valid'));
    const y = block(zt);
    const w = randomValues(y.size, 21).map((v) => (integer ? Math.round(3 * v) : v));
    const lw = tf.tensor(w, y.shape);
    const dz = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(block(a as tf.Tensor4D), lw)))(zt);
    return { y: Float32Array.from(y.dataSync() as Float32Array), dz: Float32Array.from(dz.dataSync() as Float32Array) };
  });
}

describe('fused ReLU → 2×2 pool (wasm) vs relu + maxPool on cpu', () => {
  beforeAll(initWasmAndCpu);

  it.each(SHAPES)('%o', (...shape) => {
    // a negative shift leaves whole windows below zero: no gradient there, as after the unfused ReLU
    const z = randomValues(shape.reduce((a, b) => a * b, 1), 22).map((v) => v - 0.4);
    tf.setBackend('wasm');
    expect(reluPoolSupported(shape)).toBe(true);
    // dirty memory of dz's size just freed, so dz likely lands on it: uncovered cells must be cleared
    tf.tidy(() => tf.fill(shape, 7)).dispose();
    const got = run('wasm', true, z, shape, false);
    const want = run('cpu', false, z, shape, false);
    expect(relativeError(got.y, want.y)).toBeLessThan(KERNEL_TOLERANCE);
    expect(relativeError(got.dz, want.dz)).toBeLessThan(KERNEL_TOLERANCE);
    expect(got.y.some((v) => v === 0)).toBe(true);
  });

  it('breaks ties exactly as the unfused ops (integer data: many equal maxima, many zero windows)', () => {
    const shape: [number, number, number, number] = [3, 10, 9, 8];
    const z = randomValues(3 * 90 * 8, 23).map((v) => Math.round(v));
    const got = run('wasm', true, z, shape, true);
    const want = run('cpu', false, z, shape, true);
    // (v + 0: the unfused ReLU mask multiplies a negative dy by 0 into −0 where ours writes +0)
    const plain = (a: Float32Array): number[] => Array.from(a, (v) => v + 0);
    expect(plain(got.y)).toEqual(plain(want.y));
    expect(plain(got.dz)).toEqual(plain(want.dz));
  });

  it('reports what it does not cover, and its kernel refuses that with a code', () => {
    tf.setBackend('wasm');
    expect(reluPoolSupported([2, 8, 8, 6])).toBe(false); // channels not a multiple of 4
    expect(reluPoolSupported([2, 1, 8, 8])).toBe(false); // no full window
    expect(reluPoolSupported([8, 8, 8])).toBe(false);
    expect(() => tf.tidy(() => reluPool(tf.zeros([1, 8, 8, 6])))).toThrow(expect.objectContaining({ code: 'ENGINE_ERR_UNSUPPORTED' }));
    tf.setBackend('cpu');
    expect(reluPoolSupported([2, 8, 8, 8])).toBe(false);
  });

  it('frees its scratch across forward and backward', () => {
    tf.setBackend('wasm');
    const z = tf.variable(tf.tensor4d(randomValues(2 * 11 * 11 * 64, 24), [2, 11, 11, 64]));
    const step = (): void => {
      const { value, grads } = tf.variableGrads(() => tf.sum(reluPool(z as unknown as tf.Tensor4D)));
      tf.dispose([value, ...Object.values(grads)]);
    };
    expectNoLeak(step, (actual, expected, what) => expect(actual, what).toBe(expected));
    z.dispose();
  });
});
