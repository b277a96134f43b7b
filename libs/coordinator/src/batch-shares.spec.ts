import { describe, expect, it } from 'vitest';
import { batchShares, weightedShares } from './batch-shares';

describe('batchShares', () => {
  it('keeps the global batch when members come and go', () => {
    expect(batchShares(192, 3)).toEqual([64, 64, 64]);
    expect(batchShares(192, 2)).toEqual([96, 96]);
    expect(batchShares(128, 3)).toEqual([43, 43, 42]);
    for (const n of [1, 4, 5, 7]) expect(batchShares(192, n).reduce((a, b) => a + b)).toBe(192);
  });

  it('leaves the last members out when there are fewer samples than members', () => {
    expect(batchShares(2, 3)).toEqual([1, 1, 0]);
  });
});

describe('weightedShares', () => {
  it('splits in proportion to throughput, summing to the batch exactly', () => {
    expect(weightedShares(128, [3000, 1000])).toEqual([96, 32]);
    expect(weightedShares(100, [1, 1, 1])).toEqual([34, 33, 33]);
    for (const w of [[5, 1], [1, 2, 3], [1e-9, 1e9], [7]]) expect(weightedShares(191, w).reduce((a, b) => a + b)).toBe(191);
  });

  it('keeps one sample for every member, so a slow one stays measured', () => {
    expect(weightedShares(64, [1e6, 1])).toEqual([63, 1]);
  });

  it('treats unknown rates as the slowest known, and splits evenly with nothing known', () => {
    expect(weightedShares(90, [NaN, 2, 1])).toEqual([23, 44, 23]);
    expect(weightedShares(10, [0, 0])).toEqual([5, 5]);
    expect(weightedShares(2, [5, 1, 1])).toEqual([1, 1, 0]);
  });
});
