/**
 * The tile transforms of simd/winograd.wat in plain JS, for engines without wasm SIMD (and channel
 * counts that are not a multiple of 4). Same layouts; offsets here are in floats, not bytes.
 */

/** V = Bᵀ d B per 4×4 input patch at (2th − padT, 2tw − padL) into [16][tiles][C]; outside pixels are 0. */
export function tilesInJs(
  heap: Float32Array,
  xs: number,
  vs: number,
  geo: { B: number; H: number; W: number; C: number; TH: number; TW: number; padT: number; padL: number },
  ks: number,
): void {
  const { B, H, W, C, TH, TW, padT, padL } = geo;
  const d = new Float64Array(16);
  let tile = vs;
  for (let b = 0; b < B; b++) {
    for (let th = 0; th < TH; th++) {
      for (let tw = 0; tw < TW; tw++, tile += C) {
        for (let c = 0; c < C; c++) {
          for (let i = 0; i < 4; i++) {
            const r = 2 * th - padT + i;
            for (let j = 0; j < 4; j++) {
              const col = 2 * tw - padL + j;
              d[4 * i + j] = r >= 0 && r < H && col >= 0 && col < W ? (heap[xs + ((b * H + r) * W + col) * C + c] as number) : 0;
            }
          }
          let q = tile + c;
          for (let k = 0; k < 16; k++, q += ks) heap[q] = inputTap(d, k >> 2, k & 3);
        }
      }
    }
  }
}

/** (Bᵀ d B)[i][j] with Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]. */
function inputTap(d: Float64Array, i: number, j: number): number {
  const e = (r: number): number => {
    const a = d[4 * r] as number;
    const b = d[4 * r + 1] as number;
    const c = d[4 * r + 2] as number;
    const e3 = d[4 * r + 3] as number;
    return j === 0 ? a - c : j === 1 ? b + c : j === 2 ? c - b : b - e3;
  };
  return i === 0 ? e(0) - e(2) : i === 1 ? e(1) + e(2) : i === 2 ? e(2) - e(1) : e(1) - e(3);
}

/** Y = max(lo, Aᵀ M A + bias) per tile into the NHWC output; the ragged edge of odd sizes is skipped. */
export function tilesOutJs(
  heap: Float32Array,
  ms: number,
  ys: number,
  bias: Float32Array | undefined,
  lo: number,
  geo: { B: number; OH: number; OW: number; CO: number; TH: number; TW: number },
  ks: number,
): void {
  const { B, OH, OW, CO, TH, TW } = geo;
  const s = new Float64Array(8);
  let tile = ms;
  for (let b = 0; b < B; b++) {
    for (let th = 0; th < TH; th++) {
      for (let tw = 0; tw < TW; tw++, tile += CO) {
        for (let o = 0; o < CO; o++) {
          for (let i = 0; i < 4; i++) {
            const q = tile + o + 4 * i * ks;
            const m0 = heap[q] as number;
            const m1 = heap[q + ks] as number;
            const m2 = heap[q + 2 * ks] as number;
            const m3 = heap[q + 3 * ks] as number;
            s[2 * i] = m0 + m1 + m2;
            s[2 * i + 1] = m1 - m2 - m3;
          }
          const bv = bias ? (bias[o] as number) : 0;
          for (let y = 0; y < 2; y++) {
            const oh = 2 * th + y;
            if (oh >= OH) continue;
            for (let x = 0; x < 2; x++) {
              const ow = 2 * tw + x;
              if (ow >= OW) continue;
              const v = y === 0 ? (s[x] as number) + (s[2 + x] as number) + (s[4 + x] as number) : (s[2 + x] as number) - (s[4 + x] as number) - (s[6 + x] as number);
              heap[ys + ((b * OH + oh) * OW + ow) * CO + o] = Math.max(lo, v + bv);
            }
          }
        }
      }
    }
  }
}
