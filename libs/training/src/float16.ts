import { RNE_MAGIC } from './chunk-scale';
import { assertLength } from './training-error';

/**
 * IEEE 754 binary16 ("half") conversions with round-to-nearest-even, gradual underflow (subnormals),
 * ±0, ±Infinity and NaN (quiet NaN 0x7e00; payloads are not preserved).
 */

/** Smallest positive normal half, 2^-14; below it halves are subnormal multiples of 2^-24. */
const F16_MIN_NORMAL = 2 ** -14;
const TWO_POW_24 = 2 ** 24;
/** Midpoint between the largest finite half (65504) and 2^16; it and anything above round to Infinity. */
const F16_OVERFLOW = 65520;
const F16_INF = 0x7c00;
const F16_NAN = 0x7e00;
const F16_SIGN = 0x8000;

/**
 * The half nearest to `x` (ties to even), as its 16 bit pattern. Rounds directly from the double, so
 * there is no double rounding through float32 for inputs that are not float32 values already.
 */
export function float32ToFloat16Bits(x: number): number {
  if (x !== x) return F16_NAN;
  const sign = x < 0 || Object.is(x, -0) ? F16_SIGN : 0;
  const a = Math.abs(x);
  if (a >= F16_OVERFLOW) return sign | F16_INF;
  // Subnormal: a multiple of 2^-24. Rounding up to 1024 yields 0x0400, the smallest normal, as it should.
  if (a < F16_MIN_NORMAL) return sign | (a * TWO_POW_24 + RNE_MAGIC - RNE_MAGIC);
  let e = Math.floor(Math.log2(a));
  // log2 may be off by one ulp near powers of two; fix the exponent exactly.
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  const m = (a / 2 ** e - 1) * 1024 + RNE_MAGIC - RNE_MAGIC;
  // m may round up to 1024; adding (not or-ing) carries it into the exponent, and a < 65520 keeps that finite.
  return sign | (((e + 15) << 10) + m);
}

/** The exact value of a half bit pattern (every half is exactly representable as float32 and double). */
export function float16BitsToFloat32(h: number): number {
  const s = h & F16_SIGN ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : s * Infinity;
  return s * (1024 + m) * 2 ** (e - 25);
}

/**
 * Vectorised float32 → half on the bit patterns (the classic integer RNE trick: add 0xfff plus the
 * lowest kept mantissa bit, then shift), with subnormals done in exact double arithmetic.
 * Same results as `float32ToFloat16Bits` element by element.
 */
export function float32ArrayToFloat16(src: Float32Array, out?: Uint16Array): Uint16Array {
  const n = src.length;
  const dst = out ?? new Uint16Array(n);
  assertLength('fp16 output', dst.length, n);
  const bits = new Uint32Array(src.buffer, src.byteOffset, n);
  for (let i = 0; i < n; i++) {
    const u = bits[i]!;
    const sign = (u >>> 16) & F16_SIGN;
    const a = u & 0x7fffffff;
    let h: number;
    if (a >= 0x47800000) {
      // |x| ≥ 2^16 (or Inf/NaN); [65520, 65536) overflows through the rounding carry below instead.
      h = a > 0x7f800000 ? F16_NAN : F16_INF;
    } else if (a < 0x38800000) {
      h = Math.abs(src[i]!) * TWO_POW_24 + RNE_MAGIC - RNE_MAGIC;
    } else {
      // Rebias the exponent (127 → 15) and round the 13 dropped mantissa bits to nearest even.
      h = (a - 0x38000000 + 0xfff + ((a >>> 13) & 1)) >>> 13;
    }
    dst[i] = sign | h;
  }
  return dst;
}

let decodeTable: Float32Array | undefined;

/** All 65536 halves as float32: decoding becomes one indexed load per element. Built on first use (256 KiB). */
function halfTable(): Float32Array {
  if (!decodeTable) {
    decodeTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) decodeTable[h] = float16BitsToFloat32(h);
  }
  return decodeTable;
}

/** Vectorised half → float32 (exact). */
export function float16ArrayToFloat32(src: Uint16Array, out?: Float32Array): Float32Array {
  const n = src.length;
  const dst = out ?? new Float32Array(n);
  assertLength('fp32 output', dst.length, n);
  const t = halfTable();
  for (let i = 0; i < n; i++) dst[i] = t[src[i]!]!;
  return dst;
}

/** `out[i] += weight · half(src[i])` without materialising the decoded array. */
export function addFloat16Into(out: Float32Array, src: Uint16Array, weight: number): void {
  const n = src.length;
  assertLength('accumulator', out.length, n);
  const t = halfTable();
  for (let i = 0; i < n; i++) out[i]! += weight * t[src[i]!]!;
}
