import * as tf from '@tensorflow/tfjs';
import { createRng } from '@dtrain/common';
import { initEngine } from './init-engine';

/** Makes both wasm (with our kernels) and cpu available in one process; leaves wasm active. */
/** Largest relative error (to the result's scale) allowed of every custom float32 kernel against the cpu backend. */
export const KERNEL_TOLERANCE = 1e-4;

export async function initWasmAndCpu(): Promise<void> {
  await initEngine({ backend: 'cpu', env: {} });
  await initEngine({ backend: 'wasm', env: {} });
}

/** Runs `fn` on a backend and returns its result's values (tensors are created and freed inside). */
export function valuesOn(backend: 'wasm' | 'cpu', fn: () => tf.Tensor): Float32Array {
  const previous = tf.getBackend();
  tf.setBackend(backend);
  try {
    const t = tf.tidy(fn);
    const v = t.dataSync() as Float32Array;
    t.dispose();
    return Float32Array.from(v);
  } finally {
    tf.setBackend(previous);
  }
}

/** Norm-wise relative error ‖a − b‖∞ / ‖b‖∞: the right scale for float32 sums of many terms. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return scale === 0 ? diff : diff / scale;
}

/** Seeded normal values, so kernel tests are reproducible. */
export function randomValues(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
}

/**
 * Runs `step` once to warm up, then five more times, and fails if any of those left a tensor or a
 * byte of backend memory behind (scratch buffers, saved tensors, gradients not disposed).
 */
export function expectNoLeak(step: () => void, expectEqual: (actual: number, expected: number, what: string) => void): void {
  step();
  const before = tf.memory();
  for (let i = 0; i < 5; i++) step();
  const after = tf.memory();
  expectEqual(after.numTensors, before.numTensors, 'live tensors');
  expectEqual(after.numBytes, before.numBytes, 'backend bytes');
}
