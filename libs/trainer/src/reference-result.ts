import type { TrainSummary } from './train-summary';

/**
 * The published result this project reproduces: the classic CNN (conv 32@3×3 → pool → conv 64@3×3
 * → pool → dense 128 → dense 10, Adam, batch 64) on MNIST's 60,000 training digits for 5 epochs,
 * evaluated on the 10,000 test digits.
 */
export const REFERENCE_RESULT = { model: 'cnn', dataset: 'mnist', epochs: 5, testAccuracy: 0.9723 } as const;

/**
 * The line that sets a run next to the reference, when the run is the reference's setting (same
 * model and dataset, all test digits); undefined otherwise.
 */
export function referenceComparison(s: Pick<TrainSummary, 'model' | 'dataset' | 'epochs' | 'report'>): string | undefined {
  const r = REFERENCE_RESULT;
  if (s.model !== r.model || s.dataset !== r.dataset || s.report.count < 10_000) return undefined;
  const ours = s.report.accuracy * 100;
  const ref = r.testAccuracy * 100;
  const delta = ours - ref;
  return (
    `reference: ${ref.toFixed(2)} % test accuracy after ${r.epochs} epochs (the seed CNN on MNIST, batch 64, Adam); ` +
    `this run: ${ours.toFixed(2)} % after ${s.epochs} epoch(s) (${delta >= 0 ? '+' : ''}${delta.toFixed(2)} pt)`
  );
}
