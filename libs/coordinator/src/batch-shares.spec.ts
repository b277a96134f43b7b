import { describe, expect, it } from 'vitest';
import { batchShares } from './batch-shares';

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
