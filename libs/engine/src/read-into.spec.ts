import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFloat32Into } from './read-into';
import { initWasmAndCpu } from './testing';

describe('readFloat32Into', () => {
  beforeAll(initWasmAndCpu);

  it.each(['wasm', 'cpu'] as const)('copies values at an offset on %s', (backend) => {
    tf.setBackend(backend);
    const t = tf.tensor1d([1.5, -2, 3]);
    const out = new Float32Array(5);
    readFloat32Into(t, out, 2);
    t.dispose();
    expect(Array.from(out)).toEqual([0, 0, 1.5, -2, 3]);
    tf.setBackend('wasm');
  });

  it('rejects non-float tensors', () => {
    const t = tf.tensor1d([1, 2], 'int32');
    expect(() => readFloat32Into(t, new Float32Array(2), 0)).toThrow(TypeError);
    t.dispose();
  });
});
