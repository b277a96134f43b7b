import { RNE_MAGIC, absmaxScale } from './chunk-scale';
import { INT8_LEVELS } from './constants';

/**
 * Per-chunk absmax int8 with deterministic round-to-nearest (ties to even): scale s =
 * fround(max|x| / 127) per chunk, q = round(x / s) ∈ [-127, 127], x̂ = q·s. So |x − x̂| ≤ s/2 for
 * every element (plus float32 rounding of the product). Nearest, not stochastic, rounding keeps runs
 * reproducible; its bias is what error feedback exists to cancel.
 */
export function encodeInt8(x: Float32Array, chunk: number): { scales: Float32Array; data: Int8Array } {
  const n = x.length;
  const chunks = Math.ceil(n / chunk);
  const scales = new Float32Array(chunks);
  const data = new Int8Array(n);
  for (let c = 0; c < chunks; c++) {
    const start = c * chunk;
    const end = Math.min(n, start + chunk);
    const s = absmaxScale(x, start, end, INT8_LEVELS);
    scales[c] = s;
    if (s === 0) continue; // all zero (or below float32 resolution): q stays 0
    // 1/s, not 127/absmax, so quantisation and decoding use the same stored scale; |x/s| ≤ 127(1+2^-23) rounds to ≤ 127.
    const inv = 1 / s;
    // Branch-free rounding: a sign-dependent ternary here mispredicts on every other gradient and costs ~8x.
    for (let i = start; i < end; i++) data[i] = x[i]! * inv + RNE_MAGIC - RNE_MAGIC;
  }
  return { scales, data };
}

/** `out[i] = (assign ? 0 : out[i]) + weight · data[i] · scales[⌊i/chunk⌋]`. */
export function int8Into(out: Float32Array, data: Int8Array, scales: Float32Array, chunk: number, weight: number, assign: boolean): void {
  const n = data.length;
  for (let c = 0, start = 0; start < n; c++, start += chunk) {
    const end = Math.min(n, start + chunk);
    const s = weight * scales[c]!;
    if (assign) for (let i = start; i < end; i++) out[i] = s * data[i]!;
    else for (let i = start; i < end; i++) out[i]! += s * data[i]!;
  }
}
