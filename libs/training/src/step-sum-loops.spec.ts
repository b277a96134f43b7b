import { describe, expect, it } from 'vitest';
import { createRng } from '@dtrain/common';
import { addWeighted, meanWithLast, scaleInto } from './step-sum-loops';

function randomGrad(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const g = new Float32Array(n);
  // Wide exponent range, so rounding differences between the two paths would show.
  for (let i = 0; i < n; i++) g[i] = (rng.next() - 0.5) * 10 ** Math.floor(rng.next() * 12 - 8);
  return g;
}

describe('step sum loops', () => {
  it('fuses the last push into the mean bit-identically to summing it and then scaling', () => {
    const n = 4099;
    const pushes = [randomGrad(n, 1), randomGrad(n, 2), randomGrad(n, 3)];
    const weights = [64, 63, 1];
    const inv = 1 / (64 + 63 + 1);
    const acc = new Float64Array(n);
    addWeighted(acc, pushes[0]!, weights[0]!);
    addWeighted(acc, pushes[1]!, weights[1]!);
    const fused = new Float32Array(n);
    meanWithLast(fused, acc, pushes[2]!, weights[2]!, inv);
    addWeighted(acc, pushes[2]!, weights[2]!);
    const twoPass = new Float32Array(n);
    scaleInto(twoPass, acc, inv);
    expect(Buffer.from(fused.buffer).equals(Buffer.from(twoPass.buffer))).toBe(true);
  });

  it('gives the same mean whichever push comes last', () => {
    const n = 1000;
    const a = randomGrad(n, 4);
    const b = randomGrad(n, 5);
    const mean = (first: Float32Array, wFirst: number, last: Float32Array, wLast: number): Float32Array => {
      const acc = new Float64Array(n);
      addWeighted(acc, first, wFirst);
      const out = new Float32Array(n);
      meanWithLast(out, acc, last, wLast, 1 / (wFirst + wLast));
      return out;
    };
    expect(mean(a, 32, b, 32)).toEqual(mean(b, 32, a, 32));
    // And it is the mean, to float32 rounding.
    const m = mean(a, 32, b, 32);
    for (let i = 0; i < n; i++) {
      const want = (a[i]! + b[i]!) / 2;
      expect(Math.abs(m[i]! - want)).toBeLessThanOrEqual(Math.abs(want) * 2 ** -23);
    }
  });
});
