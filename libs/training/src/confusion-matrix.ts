import { TrainingError, assertLength } from './training-error';

export function checkNumClasses(numClasses: number): void {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new TrainingError('TRAIN_ERR_BAD_LABEL', `numClasses must be a positive integer, got ${numClasses}`, { numClasses });
  }
}

/** `m[t][p]` = how many samples of true class t were predicted as p. Labels must be integers in [0, numClasses). */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number[][] {
  checkNumClasses(numClasses);
  assertLength('yPred', yPred.length, yTrue.length);
  const flat = new Float64Array(numClasses * numClasses);
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i]!;
    const p = yPred[i]!;
    if (!(Number.isInteger(t) && t >= 0 && t < numClasses && Number.isInteger(p) && p >= 0 && p < numClasses)) {
      throw new TrainingError('TRAIN_ERR_BAD_LABEL', `label out of range at ${i}: true ${t}, predicted ${p}`, { index: i, numClasses });
    }
    flat[t * numClasses + p]!++;
  }
  return Array.from({ length: numClasses }, (_, t) => Array.from(flat.subarray(t * numClasses, (t + 1) * numClasses)));
}
