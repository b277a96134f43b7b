import { createRng } from '@dtrain/common';
import { describe, expect, it } from 'vitest';
import {
  addFloat16Into,
  float16ArrayToFloat32,
  float16BitsToFloat32,
  float32ArrayToFloat16,
  float32ToFloat16Bits,
} from './float16';

const isNanHalf = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;

describe('float16 scalar conversions', () => {
  it('round-trips every one of the 65536 bit patterns (NaNs stay NaN)', () => {
    for (let h = 0; h < 65536; h++) {
      const back = float32ToFloat16Bits(float16BitsToFloat32(h));
      if (isNanHalf(h)) expect(isNanHalf(back)).toBe(true);
      else if (back !== h) expect.fail(`0x${h.toString(16)} came back as 0x${back.toString(16)}`);
    }
  });

  it('handles the special values', () => {
    expect(float32ToFloat16Bits(0)).toBe(0);
    expect(float32ToFloat16Bits(-0)).toBe(0x8000);
    expect(float32ToFloat16Bits(1)).toBe(0x3c00);
    expect(float32ToFloat16Bits(-2)).toBe(0xc000);
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff);
    expect(float32ToFloat16Bits(65519.99)).toBe(0x7bff);
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00); // tie between 65504 (odd) and 2^16 → even → Inf
    expect(float32ToFloat16Bits(Infinity)).toBe(0x7c00);
    expect(float32ToFloat16Bits(-Infinity)).toBe(0xfc00);
    expect(isNanHalf(float32ToFloat16Bits(NaN))).toBe(true);
    expect(float32ToFloat16Bits(2 ** -24)).toBe(1);
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0); // tie between 0 (even) and 2^-24 → 0
    expect(float32ToFloat16Bits(1.5 * 2 ** -24)).toBe(2); // tie between 1 and 2 → even 2
    expect(float32ToFloat16Bits(2 ** -14 - 2 ** -26)).toBe(0x0400); // rounds up into the smallest normal
    expect(float16BitsToFloat32(0x0001)).toBe(2 ** -24);
    expect(float16BitsToFloat32(0x03ff)).toBe(1023 * 2 ** -24);
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
  });

  it('rounds ties to even in the normal range', () => {
    const ulp = 2 ** -10;
    expect(float32ToFloat16Bits(1 + ulp / 2)).toBe(0x3c00); // 1.0 has an even mantissa
    expect(float32ToFloat16Bits(1 + (3 * ulp) / 2)).toBe(0x3c02); // tie between 0x3c01 and 0x3c02 → even
    expect(float32ToFloat16Bits(1 + ulp / 2 + 2 ** -30)).toBe(0x3c01); // just above the tie
  });

  it('has relative error ≤ 2^-11 over the normal range', () => {
    const rng = createRng(11);
    for (let i = 0; i < 20000; i++) {
      const x = (rng.next() < 0.5 ? -1 : 1) * 2 ** (rng.next() * 30 - 14) * (1 + rng.next());
      if (Math.abs(x) >= 65504) continue;
      const y = float16BitsToFloat32(float32ToFloat16Bits(x));
      expect(Math.abs(y - x) / Math.abs(x)).toBeLessThanOrEqual(2 ** -11);
    }
  });
});

describe('float16 array conversions', () => {
  it('agree with the scalar versions on random bit patterns and edge values', () => {
    const rng = createRng(5);
    const n = 100_000;
    const bits = new Uint32Array(n);
    for (let i = 0; i < n; i++) bits[i] = Math.floor(rng.next() * 2 ** 32);
    // Dense coverage of the interesting exponents (subnormal boundary, overflow boundary).
    for (let i = 0; i < 20000; i++) bits[i] = (0x33000000 + i * 977) >>> 0;
    for (let i = 0; i < 5000; i++) bits[20000 + i] = (0x477fe000 + i * 7) >>> 0;
    const f = new Float32Array(bits.buffer);
    const h = float32ArrayToFloat16(f);
    for (let i = 0; i < n; i++) {
      const expected = float32ToFloat16Bits(f[i]!);
      if (Number.isNaN(f[i]!)) expect(isNanHalf(h[i]!)).toBe(true);
      else if (h[i] !== expected) expect.fail(`bits 0x${bits[i]!.toString(16)}: ${h[i]} vs ${expected}`);
    }
    const back = float16ArrayToFloat32(h);
    for (let i = 0; i < n; i += 97) {
      const e = float16BitsToFloat32(h[i]!);
      expect(Number.isNaN(e) ? Number.isNaN(back[i]!) : back[i] === e).toBe(true);
    }
  });

  it('addFloat16Into accumulates weight · decoded value; lengths are checked', () => {
    const out = Float32Array.of(1, 1, 1);
    addFloat16Into(out, float32ArrayToFloat16(Float32Array.of(0.5, -2, 0)), 2);
    expect([...out]).toEqual([2, -3, 1]);
    expect(() => addFloat16Into(out, new Uint16Array(2), 1)).toThrow(expect.objectContaining({ code: 'TRAIN_ERR_SIZE_MISMATCH' }));
  });
});
