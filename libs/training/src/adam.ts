import { ADAM_DEFAULT_BETA1, ADAM_DEFAULT_BETA2, ADAM_DEFAULT_EPSILON, ADAM_DEFAULT_LEARNING_RATE } from './constants';
import type { Optimizer, OptimizerState } from './optimizer';
import { checkApplyArgs, checkHyper, checkLearningRate, checkSize, restoreSlots } from './optimizer';
import { createSimdAdam } from './simd/simd-adam';

export interface AdamOptions {
  /** Default 1e-3 (TF.js). */
  learningRate?: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-7, the TF.js float32 backend epsilon. */
  epsilon?: number;
  /**
   * Run the element loop in wasm SIMD where it compiles (default true): the same bits as the JS loop,
   * ~4× faster. False keeps the JS loop (the tests compare the two).
   */
  simd?: boolean;
}

/**
 * Adam with the same arithmetic as `tf.train.adam` (tfjs-core AdamOptimizer.applyGradients):
 *
 *   t  ← t + 1
 *   m  ← β1·m + (1 − β1)·g
 *   v  ← β2·v + (1 − β2)·g²
 *   m̂  = m / (1 − β1^t),   v̂ = v / (1 − β2^t)
 *   w  ← w − lr · m̂ / (√v̂ + ε)
 *
 * Note ε is added to √v̂ (bias-corrected), as in TF.js; Keras-Python's "epsilon hat" form differs.
 * Slots: `m` (first moment) and `v` (second moment). Element math is in double precision and stored
 * as float32, so results agree with TF.js float32 kernels to rounding (≈1e-7 relative).
 */
export function createAdam(size: number, opts: AdamOptions = {}, state?: OptimizerState): Optimizer {
  checkSize(size);
  let learningRate = checkLearningRate(opts.learningRate ?? ADAM_DEFAULT_LEARNING_RATE);
  const beta1 = checkHyper('beta1', opts.beta1 ?? ADAM_DEFAULT_BETA1, 0, 1, false);
  const beta2 = checkHyper('beta2', opts.beta2 ?? ADAM_DEFAULT_BETA2, 0, 1, false);
  const epsilon = checkHyper('epsilon', opts.epsilon ?? ADAM_DEFAULT_EPSILON, Number.MIN_VALUE, Infinity, false);
  let step = 0;
  const simd = (opts.simd ?? true) ? createSimdAdam(size) : undefined;
  const m: Float32Array = simd?.m ?? new Float32Array(size);
  const v: Float32Array = simd?.v ?? new Float32Array(size);
  if (state) {
    const r = restoreSlots('adam', size, state, ['m', 'v']);
    step = r.step;
    m.set(r.slots[0]!);
    v.set(r.slots[1]!);
  }

  return {
    kind: 'adam',
    size,
    get learningRate() {
      return learningRate;
    },
    set learningRate(lr: number) {
      learningRate = checkLearningRate(lr);
    },
    apply(weights, grad, mask) {
      checkApplyArgs(size, weights, grad, mask);
      step++;
      const lrHat = learningRate / (1 - beta1 ** step);
      const ib2 = 1 / (1 - beta2 ** step);
      if (!simd) return adamKernel(weights, grad, m, v, mask, beta1, beta2, lrHat, ib2, epsilon);
      simd.apply(weights, grad, mask, beta1, beta2, lrHat, ib2, epsilon);
      const at = simd.vectorLength;
      if (at < size) adamKernel(weights.subarray(at), grad.subarray(at), m.subarray(at), v.subarray(at), mask?.subarray(at), beta1, beta2, lrHat, ib2, epsilon);
    },
    state: () => ({ kind: 'adam', step, slots: { m: m.slice(), v: v.slice() } }),
  };
}

/**
 * The element loop as a top-level function of plain arguments, so the hot loop touches only locals
 * and stays monomorphic. lrHat = lr / (1 − β1^t) folds the first bias correction; ib2 = 1 / (1 − β2^t).
 */
function adamKernel(
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  mask: Uint8Array | undefined,
  beta1: number,
  beta2: number,
  lrHat: number,
  ib2: number,
  eps: number,
): void {
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  const n = w.length;
  // Two copies of the loop so the common unmasked case carries no branch.
  if (mask) {
    for (let i = 0; i < n; i++) {
      if (mask[i] === 0) continue;
      const gi = g[i]!;
      const mi = beta1 * m[i]! + c1 * gi;
      const vi = beta2 * v[i]! + c2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      w[i] = w[i]! - (lrHat * mi) / (Math.sqrt(vi * ib2) + eps);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const gi = g[i]!;
      const mi = beta1 * m[i]! + c1 * gi;
      const vi = beta2 * v[i]! + c2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      w[i] = w[i]! - (lrHat * mi) / (Math.sqrt(vi * ib2) + eps);
    }
  }
}
