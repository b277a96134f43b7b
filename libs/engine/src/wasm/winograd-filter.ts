/** Where a 3×3 filter's taps lie: g(kh, kw, i, o) = src[base + kh·sKH + kw·sKW + i·sI + o·sO]. */
export interface FilterLayout {
  base: number;
  sKH: number;
  sKW: number;
  sI: number;
  sO: number;
}

/** An HWIO [3, 3, C, CO] filter as it is. */
export const hwio = (C: number, CO: number): FilterLayout => ({ base: 0, sKH: 3 * C * CO, sKW: C * CO, sI: CO, sO: 1 });

/**
 * The filter of the input gradient as a forward conv: rotated 180° and with in/out swapped,
 * g'(kh, kw, co, c) = g(2 − kh, 2 − kw, c, co), read from the HWIO [3, 3, C, CO] filter in place.
 */
export const rotatedSwapped = (C: number, CO: number): FilterLayout => ({ base: 8 * C * CO, sKH: -3 * C * CO, sKW: -C * CO, sI: 1, sO: CO });

/**
 * Winograd F(2×2, 3×3) filter transform U = G g Gᵀ for every (i, o) pair, written as 16 matrices
 * [16][CI][CO'] (the GEMM's right operand), G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]. Small (16·CI·CO'
 * values) and done once per call, so plain JS.
 */
export function winogradFilter(src: Float32Array, layout: FilterLayout, CI: number, COut: number, dst: Float32Array, dstOffset: number): void {
  const { base, sKH, sKW, sI, sO } = layout;
  const plane = CI * COut;
  const t = new Float64Array(12);
  for (let i = 0; i < CI; i++) {
    for (let o = 0; o < COut; o++) {
      const p = base + i * sI + o * sO;
      // t = G g (4×3), one column kw at a time
      for (let kw = 0; kw < 3; kw++) {
        const g0 = src[p + kw * sKW] as number;
        const g1 = src[p + sKH + kw * sKW] as number;
        const g2 = src[p + 2 * sKH + kw * sKW] as number;
        t[kw] = g0;
        t[3 + kw] = 0.5 * (g0 + g1 + g2);
        t[6 + kw] = 0.5 * (g0 - g1 + g2);
        t[9 + kw] = g2;
      }
      // U = t Gᵀ (4×4), row by row
      let d = dstOffset + i * COut + o;
      for (let r = 0; r < 4; r++) {
        const a = t[3 * r] as number;
        const b = t[3 * r + 1] as number;
        const c = t[3 * r + 2] as number;
        dst[d] = a;
        dst[d + plane] = 0.5 * (a + b + c);
        dst[d + 2 * plane] = 0.5 * (a - b + c);
        dst[d + 3 * plane] = c;
        d += 4 * plane;
      }
    }
  }
}
