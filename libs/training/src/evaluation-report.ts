import { confusionMatrix } from './confusion-matrix';

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** Samples whose true class is this one. */
  support: number;
}

export interface EvaluationReport {
  accuracy: number;
  loss?: number;
  count: number;
  numClasses: number;
  perClass: ClassMetrics[];
  /** Unweighted mean over the classes that occur (true or predicted), as sklearn's macro average. */
  macro: { precision: number; recall: number; f1: number };
  /** [true][predicted] */
  confusion: number[][];
}

/** a / b, or 0 when b is 0: a class never predicted has precision 0, one never present has recall 0 (sklearn's zero_division=0). */
const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/**
 * Accuracy, per-class precision / recall / F1 / support, macro averages and the confusion matrix.
 * Every 0/0 is 0 (documented above), including accuracy on an empty set. The macro average skips
 * classes that neither occur nor are predicted, so a small evaluation set that lacks a class is not
 * penalised for it; with no samples at all it is 0.
 */
export function evaluationReport(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number, loss?: number): EvaluationReport {
  const confusion = confusionMatrix(yTrue, yPred, numClasses);
  const count = yTrue.length;
  const predicted = new Array<number>(numClasses).fill(0);
  let correct = 0;
  confusion.forEach((row, t) => {
    correct += row[t]!;
    row.forEach((v, p) => (predicted[p]! += v));
  });
  const perClass = confusion.map((row, c): ClassMetrics => {
    const tp = row[c]!;
    const support = row.reduce((a, b) => a + b, 0);
    const precision = ratio(tp, predicted[c]!);
    const recall = ratio(tp, support);
    return { precision, recall, f1: ratio(2 * precision * recall, precision + recall), support };
  });
  const seen = perClass.filter((m, c) => m.support > 0 || predicted[c]! > 0);
  const avg = (k: 'precision' | 'recall' | 'f1') => ratio(seen.reduce((s, m) => s + m[k], 0), seen.length);
  const report: EvaluationReport = {
    accuracy: ratio(correct, count),
    count,
    numClasses,
    perClass,
    macro: { precision: avg('precision'), recall: avg('recall'), f1: avg('f1') },
    confusion,
  };
  if (loss !== undefined) report.loss = loss;
  return report;
}
