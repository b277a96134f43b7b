import { describe, expect, it } from 'vitest';
import { keyRanges } from './key-ranges';

/** The model of record's tensors: conv 3×3×1×32 + 32, conv 3×3×32×64 + 64, dense 1600×128 + 128, dense 128×10 + 10. */
const CNN = [288, 32, 18432, 64, 204800, 128, 1280, 10];

const tile = (ranges: { start: number; end: number }[], total: number): void => {
  expect(ranges[0]!.start).toBe(0);
  expect(ranges.at(-1)!.end).toBe(total);
  for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.start).toBe(ranges[i - 1]!.end);
  for (const r of ranges) expect(r.end).toBeGreaterThan(r.start);
};

describe('keyRanges', () => {
  it('one shard holds everything', () => {
    expect(keyRanges(CNN, 1)).toEqual([{ start: 0, end: 225034 }]);
  });

  it('splits the dense kernel that holds 91 % of the model of record, so the shards are balanced', () => {
    for (const k of [2, 3, 4, 8]) {
      const r = keyRanges(CNN, k);
      tile(r, 225034);
      const sizes = r.map((x) => x.end - x.start);
      expect(Math.max(...sizes) / Math.min(...sizes)).toBeLessThan(1.3);
    }
  });

  it('cuts on tensor boundaries when one is near the ideal cut', () => {
    expect(keyRanges([100, 100, 100, 100], 2)).toEqual([{ start: 0, end: 200 }, { start: 200, end: 400 }]);
    expect(keyRanges([100, 110, 90, 100], 2)).toEqual([{ start: 0, end: 210 }, { start: 210, end: 400 }]);
    // The boundary at 100 is 100 away from the ideal 200: too far, so the second tensor is split.
    expect(keyRanges([100, 300], 2)).toEqual([{ start: 0, end: 200 }, { start: 200, end: 400 }]);
  });

  it('gives each shard at least one weight and refuses more shards than weights', () => {
    tile(keyRanges([1, 1, 1], 3), 3);
    expect(() => keyRanges([1, 1], 3)).toThrow(expect.objectContaining({ code: 'PS_ERR_BAD_OPTION' }));
    expect(() => keyRanges([4], 0)).toThrow(expect.objectContaining({ code: 'PS_ERR_BAD_OPTION' }));
  });

  it('is deterministic', () => {
    expect(keyRanges(CNN, 4)).toEqual(keyRanges([...CNN], 4));
  });
});
