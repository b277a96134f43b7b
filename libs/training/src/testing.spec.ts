import { describe, expect, it } from 'vitest';
import { seededGradient } from './testing';

describe('seededGradient', () => {
  it('is reproducible per seed and heavy-tailed', () => {
    const a = seededGradient(10_000, 1);
    expect(seededGradient(10_000, 1)).toEqual(a);
    expect(seededGradient(10_000, 2)).not.toEqual(a);
    const mags = [...a].map(Math.abs).sort((x, y) => x - y);
    // The top 1 % carries far more than 1 % of the L1 mass.
    const total = mags.reduce((s, x) => s + x, 0);
    const top = mags.slice(-100).reduce((s, x) => s + x, 0);
    expect(top / total).toBeGreaterThan(0.1);
  });
});
