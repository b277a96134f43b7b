import { describe, expect, it } from 'vitest';
import { firstNonFinite } from './validate-tensor';

describe('firstNonFinite', () => {
  it('returns -1 for finite tensors, including ±0, subnormals and the float32 extremes', () => {
    expect(firstNonFinite(new Float32Array(0))).toBe(-1);
    expect(firstNonFinite(Float32Array.of(-0, 0, 1e-45, -1e-45, 3.4028234663852886e38, -3.4028234663852886e38, 1, -7))).toBe(-1);
  });

  it('finds the first NaN or ±Infinity at every position, in the unrolled body and in the tail', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      for (let n = 1; n <= 11; n++) {
        for (let at = 0; at < n; at++) {
          const a = new Float32Array(n).fill(0.5);
          a[at] = bad;
          expect(firstNonFinite(a)).toBe(at);
          // a later bad element does not change the answer
          if (at + 1 < n) {
            a[n - 1] = NaN;
            expect(firstNonFinite(a)).toBe(at);
          }
        }
      }
    }
  });

  it('works on views into a larger buffer (frames are decoded in place)', () => {
    const buf = new Float32Array(16).fill(1);
    buf[2] = NaN; // outside the view
    buf[13] = Infinity;
    expect(firstNonFinite(buf.subarray(4, 12))).toBe(-1);
    expect(firstNonFinite(buf.subarray(4, 14))).toBe(9);
  });
});
