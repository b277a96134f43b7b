import { describe, expect, it } from 'vitest';
import { createRng } from '@dtrain/common';
import { StepSum } from './step-sum';
import { instantiateSimd } from './simd/simd-module';

function randomGrad(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const g = new Float32Array(n);
  // Wide exponent range, so rounding differences between the two paths would show.
  for (let i = 0; i < n; i++) g[i] = (rng.next() - 0.5) * 10 ** Math.floor(rng.next() * 12 - 8);
  return g;
}

const same = (a: Float32Array, b: Float32Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('StepSum', () => {
  it('has its SIMD module here, so the comparisons below compare two implementations', () => {
    expect(instantiateSimd('step-sum', 64, ['addw', 'meanlast', 'scale'])).toBeDefined();
  });

  it('gives the same bits with and without SIMD, for every size mod 4, fused last push and two-pass mean alike', () => {
    for (const n of [1, 2, 3, 4, 5, 7, 8, 1001, 4099]) {
      const pushes = [randomGrad(n, n), randomGrad(n, n + 1), randomGrad(n, n + 2)];
      const weights = [64, 63, 1];
      const inv = 1 / 128;
      const results = [true, false].map((simd) => {
        const s = new StepSum(n, { simd });
        s.add(pushes[0]!, weights[0]!);
        s.add(pushes[1]!, weights[1]!);
        const fused = s.meanWithLast(pushes[2]!, weights[2]!, inv).slice();
        s.add(pushes[2]!, weights[2]!);
        const twoPass = s.mean(inv).slice();
        return { fused, twoPass };
      });
      const [fast, slow] = results as [{ fused: Float32Array; twoPass: Float32Array }, { fused: Float32Array; twoPass: Float32Array }];
      expect(same(fast.fused, slow.fused)).toBe(true);
      expect(same(fast.twoPass, slow.twoPass)).toBe(true);
      expect(same(fast.fused, fast.twoPass)).toBe(true);
    }
  });

  it('sums a gradient decoded into its scratch buffer, and reset() empties the sum', () => {
    const n = 1003;
    const a = randomGrad(n, 11);
    const b = randomGrad(n, 12);
    const s = new StepSum(n);
    s.scratch.set(a);
    s.add(s.scratch, 2);
    s.scratch.set(b);
    const viaScratch = s.meanWithLast(s.scratch, 3, 1 / 5).slice();
    const ref = new StepSum(n, { simd: false });
    ref.add(a, 2);
    expect(same(viaScratch, ref.meanWithLast(b, 3, 1 / 5))).toBe(true);
    s.reset();
    s.add(b, 1);
    expect(same(s.mean(1), b)).toBe(true);
  });
});
