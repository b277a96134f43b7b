import { TrainingError, assertLength } from './training-error';

/**
 * Everything an optimizer needs to continue exactly where it stopped; the parameter server checkpoints
 * this next to the weights. `step` counts applied updates (Adam's bias correction depends on it).
 */
export interface OptimizerState {
  kind: 'adam' | 'sgd';
  step: number;
  slots: Record<string, Float32Array>;
}

/**
 * An optimizer over one flat Float32Array of weights, updated in place. Not thread-safe, not
 * re-entrant; allocation-free per step. Gradients are expected to be finite (check with
 * `isAllFinite` before applying: a NaN would poison the moments for good).
 */
export interface Optimizer {
  readonly kind: 'adam' | 'sgd';
  readonly size: number;
  /** May be changed between steps (schedules); must be finite and ≥ 0. */
  learningRate: number;
  /**
   * One update. `mask[i] === 0` freezes weight i: neither it nor its optimizer slots change.
   * The step counter still advances (it is global, as in TF.js when a variable is not trainable).
   */
  apply(weights: Float32Array, grad: Float32Array, mask?: Uint8Array): void;
  /** A snapshot (copied slots) that `createOptimizer(spec, size, state)` continues from identically. */
  state(): OptimizerState;
}

export function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < 0) {
    throw new TrainingError('TRAIN_ERR_BAD_OPTIMIZER', `optimizer size must be a non-negative integer, got ${size}`, { size });
  }
}

/** Throws TRAIN_ERR_BAD_OPTIMIZER unless `value` is finite and inside [min, max) or [min, max]. */
export function checkHyper(name: string, value: number, min: number, max: number, maxInclusive: boolean): number {
  const ok = Number.isFinite(value) && value >= min && (maxInclusive ? value <= max : value < max);
  if (!ok) {
    const range = `[${min}, ${max}${maxInclusive ? ']' : ')'}`;
    throw new TrainingError('TRAIN_ERR_BAD_OPTIMIZER', `${name} must be in ${range}, got ${value}`, { name, value });
  }
  return value;
}

export function checkLearningRate(value: number): number {
  return checkHyper('learningRate', value, 0, Infinity, false);
}

export function checkApplyArgs(size: number, weights: Float32Array, grad: Float32Array, mask: Uint8Array | undefined): void {
  assertLength('weights', weights.length, size);
  assertLength('gradient', grad.length, size);
  if (mask) assertLength('mask', mask.length, size);
}

/**
 * Validates a restored state against the optimizer that will adopt it and returns copies of the named
 * slots, so the new optimizer never aliases the snapshot it was created from.
 */
export function restoreSlots(
  kind: OptimizerState['kind'],
  size: number,
  state: OptimizerState,
  names: readonly string[],
): { step: number; slots: Float32Array[] } {
  const bad = (why: string): never => {
    throw new TrainingError('TRAIN_ERR_BAD_OPTIMIZER', `cannot restore ${kind} state: ${why}`, { kind });
  };
  if (typeof state !== 'object' || state === null) bad('not an object');
  if (state.kind !== kind) bad(`state is for '${String(state.kind)}'`);
  if (!Number.isSafeInteger(state.step) || state.step < 0) bad(`step ${state.step} is not a non-negative integer`);
  if (typeof state.slots !== 'object' || state.slots === null) bad('no slots');
  const slots = names.map((name) => {
    const s = state.slots[name];
    if (!(s instanceof Float32Array)) return bad(`slot '${name}' is missing or not a Float32Array`);
    if (s.length !== size) return bad(`slot '${name}' has length ${s.length}, expected ${size}`);
    for (let i = 0; i < s.length; i++) if (!Number.isFinite(s[i]!)) return bad(`slot '${name}' holds a non-finite value at ${i}`);
    return s.slice();
  });
  const extra = Object.keys(state.slots).filter((k) => !names.includes(k));
  if (extra.length > 0) bad(`unexpected slots ${extra.join(', ')}`);
  return { step: state.step, slots };
}
