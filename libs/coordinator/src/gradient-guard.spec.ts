import { describe, expect, it } from 'vitest';
import { GradientGuard } from './gradient-guard';

const grad = (peak: number) => ({ codec: 'fp32' as const, length: 3, data: Float32Array.of(peak, -peak / 2, 0) });

describe('GradientGuard', () => {
  it('applies only the absolute ceiling until it has seen 16 pushes, then also the spike bound', () => {
    const g = new GradientGuard({ maxAbs: 1e6, spikeFactor: 100 });
    expect(g.check(grad(5e5))).toBeUndefined();
    for (let i = 0; i < 15; i++) expect(g.check(grad(1 + i / 100))).toBeUndefined();
    // Median of the 16 accepted is ≈ 1.08: 100× is the bound now.
    expect(g.bound()).toBeCloseTo(108, 0);
    expect(g.check(grad(50))).toBeUndefined();
    expect(g.check(grad(1e4))).toMatchObject({ maxAbs: 1e4 });
    expect(g.check(grad(2e6))).toMatchObject({ maxAbs: 2e6 });
  });

  it('with the spike factor off, only the ceiling applies', () => {
    const g = new GradientGuard({ maxAbs: 10, spikeFactor: 0 });
    for (let i = 0; i < 100; i++) g.check(grad(0.001));
    expect(g.check(grad(10))).toBeUndefined();
    expect(g.check(grad(10.5))).toBeDefined();
  });
});
