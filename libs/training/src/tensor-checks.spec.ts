import { describe, expect, it } from 'vitest';
import { checksum, isAllFinite } from './tensor-checks';

describe('isAllFinite', () => {
  it('finds one bad value anywhere, including past the first chunk', () => {
    const a = new Float32Array(10_000).fill(3.4e38);
    expect(isAllFinite(a)).toBe(true);
    expect(isAllFinite(new Float32Array(0))).toBe(true);
    for (const bad of [NaN, Infinity, -Infinity]) {
      for (const at of [0, 4095, 4096, 9999]) {
        const b = a.slice();
        b[at] = bad;
        expect(isAllFinite(b)).toBe(false);
      }
    }
  });
});

describe('checksum', () => {
  it('is stable for equal content, 16 hex digits, and changes with any element, the length, or the sign of zero', () => {
    const a = Float32Array.from({ length: 1001 }, (_, i) => Math.sin(i));
    const c = checksum(a);
    expect(c).toMatch(/^[0-9a-f]{16}$/);
    expect(checksum(a.slice())).toBe(c);
    const seen = new Set([c]);
    for (const at of [0, 500, 1000]) {
      const b = a.slice();
      b[at] = b[at]! + 1e-6;
      seen.add(checksum(b));
    }
    seen.add(checksum(a.subarray(0, 1000)));
    seen.add(checksum(new Float32Array(4)));
    seen.add(checksum(Float32Array.of(0, 0, 0, -0)));
    seen.add(checksum(new Float32Array(5)));
    expect(seen.size).toBe(8);
  });

  it('hashes only the view, not the rest of its buffer', () => {
    const buf = Float32Array.of(9, 1, 2, 3, 9);
    expect(checksum(buf.subarray(1, 4))).toBe(checksum(Float32Array.of(1, 2, 3)));
  });
});
