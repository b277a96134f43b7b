import { describe, expect, it } from 'vitest';
import { confusionMatrix } from './confusion-matrix';
import { evaluationReport } from './evaluation-report';
import { formatReport } from './format-report';

// 3 classes, 8 samples. Hand-computed below.
const yTrue = [0, 0, 0, 1, 1, 2, 2, 2];
const yPred = [0, 0, 1, 1, 2, 2, 2, 0];

describe('confusionMatrix', () => {
  it('counts [true][pred]', () => {
    expect(confusionMatrix(yTrue, yPred, 3)).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [1, 0, 2],
    ]);
  });
  it('rejects labels out of range, non-integers, bad class counts and length mismatches', () => {
    expect(() => confusionMatrix([0, 3], [0, 0], 3)).toThrow(expect.objectContaining({ code: 'TRAIN_ERR_BAD_LABEL' }));
    expect(() => confusionMatrix([0, 1], [0, -1], 3)).toThrow(expect.objectContaining({ code: 'TRAIN_ERR_BAD_LABEL' }));
    expect(() => confusionMatrix([0.5], [0], 3)).toThrow(expect.objectContaining({ code: 'TRAIN_ERR_BAD_LABEL' }));
    expect(() => confusionMatrix([0], [0], 0)).toThrow(expect.objectContaining({ code: 'TRAIN_ERR_BAD_LABEL' }));
    expect(() => confusionMatrix([0], [0, 1], 3)).toThrow(expect.objectContaining({ code: 'TRAIN_ERR_SIZE_MISMATCH' }));
  });
});

describe('evaluationReport', () => {
  it('matches hand-computed precision / recall / F1', () => {
    const r = evaluationReport(Int32Array.from(yTrue), Uint8Array.from(yPred), 3, 0.25);
    expect(r.accuracy).toBeCloseTo(5 / 8, 12);
    expect(r.count).toBe(8);
    expect(r.loss).toBe(0.25);
    // class 0: tp 2, predicted 3, support 3 → P 2/3, R 2/3, F1 2/3
    // class 1: tp 1, predicted 2, support 2 → P 1/2, R 1/2, F1 1/2
    // class 2: tp 2, predicted 3, support 3 → P 2/3, R 2/3
    const expected = [
      [2 / 3, 2 / 3, 2 / 3, 3],
      [1 / 2, 1 / 2, 1 / 2, 2],
      [2 / 3, 2 / 3, 2 / 3, 3],
    ];
    r.perClass.forEach((m, c) => {
      const [p, rec, f1, s] = expected[c]!;
      expect(m.precision).toBeCloseTo(p!, 12);
      expect(m.recall).toBeCloseTo(rec!, 12);
      expect(m.f1).toBeCloseTo(f1!, 12);
      expect(m.support).toBe(s);
    });
    expect(r.macro.f1).toBeCloseTo((2 / 3 + 1 / 2 + 2 / 3) / 3, 12);
  });

  it('asymmetric precision and recall give the harmonic-mean F1', () => {
    // class 1: tp 1, predicted 1, support 3 → P 1, R 1/3, F1 = 2·(1/3)/(4/3) = 1/2
    const r = evaluationReport([1, 1, 1, 0], [1, 0, 0, 0], 2);
    expect(r.perClass[1]).toEqual({ precision: 1, recall: 1 / 3, f1: 0.5, support: 3 });
    expect(r.perClass[0]!.precision).toBeCloseTo(1 / 3, 12);
    expect(r.loss).toBeUndefined();
  });

  it('zero division gives 0, and absent classes are left out of the macro average', () => {
    // class 1 never predicted (precision 0/0 → 0), class 2 never present nor predicted (skipped in macro).
    const r = evaluationReport([0, 1], [0, 0], 3);
    expect(r.perClass[1]).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(r.perClass[2]).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    expect(r.perClass[0]).toEqual({ precision: 0.5, recall: 1, f1: 2 / 3, support: 1 });
    expect(r.macro.recall).toBeCloseTo(0.5, 12);
    const empty = evaluationReport([], [], 2);
    expect(empty.accuracy).toBe(0);
    expect(empty.macro).toEqual({ precision: 0, recall: 0, f1: 0 });
  });
});

describe('formatReport', () => {
  it('shows accuracy, loss, the per-class table, the macro row and an aligned confusion matrix', () => {
    const text = formatReport(evaluationReport(yTrue, yPred, 3, 0.123456), ['zero', 'one', 'two']);
    const lines = text.split('\n');
    expect(lines[0]).toBe('accuracy 0.6250 (5/8)  loss 0.1235');
    expect(text).toMatch(/^class\s+precision\s+recall\s+f1\s+support$/m);
    expect(text).toMatch(/^zero\s+0\.6667\s+0\.6667\s+0\.6667\s+3$/m);
    expect(text).toMatch(/^one\s+0\.5000\s+0\.5000\s+0\.5000\s+2$/m);
    expect(text).toMatch(/^macro avg\s+0\.6111\s+0\.6111\s+0\.6111\s+8$/m);
    const start = lines.findIndex((l) => l.startsWith('true\\pred'));
    const grid = lines.slice(start, start + 4);
    expect(grid.map((l) => l.split(/\s+/))).toEqual([
      ['true\\pred', 'zero', 'one', 'two'],
      ['zero', '2', '1', '0'],
      ['one', '0', '1', '1'],
      ['two', '1', '0', '2'],
    ]);
    // Columns are right-aligned: every row of the matrix has the same length.
    expect(new Set(grid.map((l) => l.length)).size).toBe(1);
    expect(formatReport(evaluationReport([0], [0], 1))).toMatch(/^accuracy 1\.0000 \(1\/1\)$/m);
  });
});
