import { RNE_MAGIC, absmaxScale } from './chunk-scale';

/** Sub-byte integer codecs and their code widths. */
export type PackedIntKind = 'int2' | 'int3' | 'int4';
export const PACKED_INT_BITS: Readonly<Record<PackedIntKind, number>> = Object.freeze({ int2: 2, int3: 3, int4: 4 });


/** Largest code magnitude of a b-bit code: 2^(b−1) − 1 (symmetric, so 0 is exact): int2 ±1, int3 ±3, int4 ±7. */
export const packedLevels = (bits: number): number => (1 << (bits - 1)) - 1;

/** Bytes holding n codes of `bits` bits, packed without gaps. */
export const packedIntBytes = (n: number, bits: number): number => Math.ceil((n * bits) / 8);

/**
 * Per-chunk absmax quantisation to b-bit codes (b = 2, 3, 4): scale s = fround(max|x| / L) per chunk
 * with L = 2^(b−1) − 1, q = round(x / s) ties to even, x̂ = q·s, so |x − x̂| ≤ s/2. Codes are stored
 * biased (q + L ∈ [0, 2L]) and packed little-endian bit by bit: element i occupies bits
 * [i·b, (i+1)·b) of the byte stream, so int4 puts element 2j in the low nibble of byte j. The coarse
 * rounding is biased per message; error feedback (gradients) and the server's replica (weight
 * deltas) carry what it drops into the next one.
 */
export function encodePackedInt(x: Float32Array, bits: number, chunk: number): { scales: Float32Array; data: Uint8Array } {
  const n = x.length;
  const levels = packedLevels(bits);
  const chunks = Math.ceil(n / chunk);
  const scales = new Float32Array(chunks);
  const data = new Uint8Array(packedIntBytes(n, bits));
  const k = Number.isInteger(8 / bits) ? 8 / bits : 0;
  let acc = 0;
  let held = 0;
  let p = 0;
  for (let c = 0; c < chunks; c++) {
    const start = c * chunk;
    const end = Math.min(n, start + chunk);
    const s = absmaxScale(x, start, end, levels);
    scales[c] = s;
    // An all-zero chunk (s = 0) still writes codes: q = 0 for every element.
    const inv = s === 0 ? 0 : 1 / s;
    if (k > 0) {
      // Widths that divide a byte: OR each code into its own byte, no carried accumulator.
      for (let i = start; i < end; i++) data[(i / k) | 0]! |= (x[i]! * inv + RNE_MAGIC - RNE_MAGIC + levels) << ((i % k) * bits);
      continue;
    }
    for (let i = start; i < end; i++) {
      // |x/s| ≤ L(1 + 2^-23) rounds to ≤ L, so the biased code never leaves [0, 2L].
      acc |= (x[i]! * inv + RNE_MAGIC - RNE_MAGIC + levels) << held;
      held += bits;
      if (held >= 8) {
        data[p++] = acc & 0xff;
        acc >>>= 8;
        held -= 8;
      }
    }
  }
  if (held > 0) data[p] = acc & 0xff;
  return { scales, data };
}

/** Per width dividing 8: the k = 8/bits signed codes of every byte value, byte·k + j → code of slot j. */
const byteTables = new Map<number, Int8Array>();
function byteTable(bits: number): Int8Array {
  let t = byteTables.get(bits);
  if (!t) {
    const k = 8 / bits;
    const levels = packedLevels(bits);
    const mask = (1 << bits) - 1;
    t = new Int8Array(256 * k);
    for (let b = 0; b < 256; b++) for (let j = 0; j < k; j++) t[b * k + j] = ((b >> (j * bits)) & mask) - levels;
    byteTables.set(bits, t);
  }
  return t;
}

/** `out[i] = (assign ? 0 : out[i]) + weight · (code[i] − L) · scales[⌊i/chunk⌋]`. */
export function packedIntInto(
  out: Float32Array,
  data: Uint8Array,
  scales: Float32Array,
  bits: number,
  chunk: number,
  weight: number,
  assign: boolean,
): void {
  const n = out.length;
  const k = 8 / bits;
  // Widths that divide a byte: one table load per code instead of shifting a bit accumulator.
  if (Number.isInteger(k)) {
    const t = byteTable(bits);
    for (let c = 0, start = 0; start < n; c++, start += chunk) {
      const end = Math.min(n, start + chunk);
      const s = weight * scales[c]!;
      if (assign) for (let i = start; i < end; i++) out[i] = s * t[data[(i / k) | 0]! * k + (i % k)]!;
      else for (let i = start; i < end; i++) out[i]! += s * t[data[(i / k) | 0]! * k + (i % k)]!;
    }
    return;
  }
  const levels = packedLevels(bits);
  const mask = (1 << bits) - 1;
  let acc = 0;
  let held = 0;
  let p = 0;
  for (let c = 0, start = 0; start < n; c++, start += chunk) {
    const end = Math.min(n, start + chunk);
    const s = weight * scales[c]!;
    for (let i = start; i < end; i++) {
      if (held < bits) {
        acc |= data[p++]! << held;
        held += 8;
      }
      const v = s * ((acc & mask) - levels);
      acc >>>= bits;
      held -= bits;
      if (assign) out[i] = v;
      else out[i]! += v;
    }
  }
}
