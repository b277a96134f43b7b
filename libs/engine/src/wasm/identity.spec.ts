import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initWasmAndCpu } from '../testing';

describe('wasm Identity and same-dtype Cast (shared memory)', () => {
  beforeAll(initWasmAndCpu);

  it('clones keep their values after the original is disposed, without leaking', () => {
    tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const a = tf.tensor([1, 2, 3, 4], [2, 2]);
    const b = tf.clone(a);
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3, 4]);
    expect(b.shape).toEqual([2, 2]);
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a variable assigned after cloning does not change the clone', () => {
    tf.setBackend('wasm');
    const v = tf.variable(tf.tensor1d([1, 2]));
    const c = tf.clone(v);
    v.assign(tf.tensor1d([5, 6]));
    expect(Array.from(c.dataSync())).toEqual([1, 2]);
    expect(Array.from(v.dataSync())).toEqual([5, 6]);
    tf.dispose([v, c]);
  });

  it('a same-dtype cast shares values; a dtype-changing cast converts like cpu', () => {
    tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const a = tf.tensor1d([1.5, -2.5, 3]);
    const same = tf.cast(a, 'float32');
    const asInt = tf.cast(a, 'int32');
    a.dispose();
    expect(Array.from(same.dataSync())).toEqual([1.5, -2.5, 3]);
    const onCpu = tf.tidy(() => {
      tf.setBackend('cpu');
      const v = Array.from(tf.cast(tf.tensor1d([1.5, -2.5, 3]), 'int32').dataSync());
      tf.setBackend('wasm');
      return v;
    });
    expect(asInt.dtype).toBe('int32');
    expect(Array.from(asInt.dataSync())).toEqual(onCpu);
    tf.dispose([same, asInt]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
