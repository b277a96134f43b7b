import { describe, expect, it } from 'vitest';
import { evaluationReport } from '@dtrain/training';
import { referenceComparison } from './reference-result';

const report = (correct: number, count: number) =>
  evaluationReport(
    Array.from({ length: count }, (_, i) => i % 10),
    Array.from({ length: count }, (_, i) => (i < correct ? i % 10 : (i + 1) % 10)),
    10,
  );

describe('referenceComparison', () => {
  it('sets a full-MNIST run of the model of record next to 97.23 %', () => {
    const line = referenceComparison({ model: 'cnn', dataset: 'mnist', epochs: 5, report: report(9896, 10_000) });
    expect(line).toMatch(/reference: 97\.23 %.*this run: 98\.96 % after 5 epoch\(s\) \(\+1\.73 pt\)/);
  });

  it('says nothing for another model, dataset or a partial test set', () => {
    expect(referenceComparison({ model: 'cnn-large', dataset: 'mnist', epochs: 5, report: report(9900, 10_000) })).toBeUndefined();
    expect(referenceComparison({ model: 'cnn', dataset: 'mnist-subset', epochs: 5, report: report(1900, 2_000) })).toBeUndefined();
    expect(referenceComparison({ model: 'cnn', dataset: 'mnist', epochs: 5, report: report(900, 1_000) })).toBeUndefined();
  });
});
