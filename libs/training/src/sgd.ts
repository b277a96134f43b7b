import { SGD_DEFAULT_LEARNING_RATE, SGD_DEFAULT_MOMENTUM } from './constants';
import type { Optimizer, OptimizerState } from './optimizer';
import { checkApplyArgs, checkHyper, checkLearningRate, checkSize, restoreSlots } from './optimizer';

export interface SgdOptions {
  /** Default 0.01. */
  learningRate?: number;
  /** Default 0 (plain SGD, like `tf.train.sgd`); in [0, 1). */
  momentum?: number;
  /** Nesterov momentum, as `tf.train.momentum(lr, m, true)`. Default false. */
  nesterov?: boolean;
}

/**
 * SGD, optionally with momentum, with the arithmetic of `tf.train.sgd` / `tf.train.momentum`:
 *
 *   momentum = 0:  w ← w − lr·g                         (no slots)
 *   otherwise:     a ← μ·a + g                           (slot `accumulation`, TF.js's name)
 *                  w ← w − lr·a             (classic)
 *                  w ← w − lr·(g + μ·a)     (Nesterov)
 */
export function createSgd(size: number, opts: SgdOptions = {}, state?: OptimizerState): Optimizer {
  checkSize(size);
  let learningRate = checkLearningRate(opts.learningRate ?? SGD_DEFAULT_LEARNING_RATE);
  const mu = checkHyper('momentum', opts.momentum ?? SGD_DEFAULT_MOMENTUM, 0, 1, false);
  const nesterov = opts.nesterov ?? false;
  const slotNames = mu > 0 ? ['accumulation'] : [];
  let step = 0;
  let acc: Float32Array | undefined = mu > 0 ? new Float32Array(size) : undefined;
  if (state) {
    const r = restoreSlots('sgd', size, state, slotNames);
    step = r.step;
    acc = r.slots[0];
  }

  return {
    kind: 'sgd',
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
      const lr = learningRate;
      if (!acc) {
        if (mask) for (let i = 0; i < size; i++) weights[i]! -= mask[i] === 0 ? 0 : lr * grad[i]!;
        else for (let i = 0; i < size; i++) weights[i]! -= lr * grad[i]!;
        return;
      }
      const a = acc;
      for (let i = 0; i < size; i++) {
        if (mask && mask[i] === 0) continue;
        const g = grad[i]!;
        const ai = mu * a[i]! + g;
        a[i] = ai;
        weights[i]! -= nesterov ? lr * (g + mu * ai) : lr * ai;
      }
    },
    state: (): OptimizerState => ({ kind: 'sgd', step, slots: acc ? { accumulation: acc.slice() } : {} }),
  };
}
