/**
 * Resampling of interleaved (HWC) images to another size, separably: each axis on its own, columns
 * first, then rows. Per axis:
 *   shrinking  area averaging: an output pixel is the mean of the source interval it covers,
 *              partial source pixels weighted by their overlap, so no source pixel is dropped
 *              (nearest or bilinear sampling would alias fine strokes away);
 *   growing    bilinear with pixel centres aligned (source x = (i + ½)·src/dst − ½, clamped at
 *              the edges), so an image does not shift by half a pixel;
 *   equal      a copy.
 * Weights are convex, so 0..255 input stays 0..255. Intermediates are float64 and nothing is
 * rounded until the caller does, once.
 */

/** The source pixels and weights of every output index along one axis (CSR-style). */
interface AxisTaps {
  /** Taps of output i are start[i] .. start[i + 1] − 1. */
  start: Uint32Array;
  index: Uint32Array;
  weight: Float64Array;
}

/** Overlaps thinner than this are rounding noise of the interval ends, not real coverage. */
const MIN_OVERLAP = 1e-9;

export function axisTaps(src: number, dst: number): AxisTaps {
  const start = new Uint32Array(dst + 1);
  const index: number[] = [];
  const weight: number[] = [];
  for (let i = 0; i < dst; i++) {
    start[i] = index.length;
    if (dst === src) {
      index.push(i);
      weight.push(1);
    } else if (dst < src) {
      // Interval [i·src/dst, (i+1)·src/dst) in source pixels, computed from integers for exact ends.
      const lo = (i * src) / dst;
      const hi = ((i + 1) * src) / dst;
      const span = hi - lo;
      for (let s = Math.floor(lo); s < Math.min(src, Math.ceil(hi)); s++) {
        const overlap = Math.min(hi, s + 1) - Math.max(lo, s);
        if (overlap > MIN_OVERLAP) {
          index.push(s);
          weight.push(overlap / span);
        }
      }
    } else {
      const x = Math.min(src - 1, Math.max(0, ((i + 0.5) * src) / dst - 0.5));
      const x0 = Math.floor(x);
      const f = x - x0;
      index.push(x0);
      weight.push(1 - f);
      if (f > 0 && x0 + 1 < src) {
        index.push(x0 + 1);
        weight.push(f);
      }
    }
  }
  start[dst] = index.length;
  return { start, index: Uint32Array.from(index), weight: Float64Array.from(weight) };
}

/**
 * Resamples `src` (srcRows×srcCols pixels, `stride` values per pixel, of which the first `channels`
 * are used: stride 4 with channels 3 reads RGB out of RGBA) to dstRows×dstCols×channels, unrounded.
 */
export function resizeImage(
  src: ArrayLike<number>,
  srcRows: number,
  srcCols: number,
  stride: number,
  channels: number,
  dstRows: number,
  dstCols: number,
): Float64Array {
  const tx = axisTaps(srcCols, dstCols);
  const ty = axisTaps(srcRows, dstRows);
  // Columns: srcRows × dstCols × channels.
  const mid = new Float64Array(srcRows * dstCols * channels);
  for (let y = 0; y < srcRows; y++) {
    const row = y * srcCols;
    for (let x = 0; x < dstCols; x++) {
      const o = (y * dstCols + x) * channels;
      for (let t = tx.start[x]!; t < tx.start[x + 1]!; t++) {
        const s = (row + tx.index[t]!) * stride;
        const w = tx.weight[t]!;
        for (let c = 0; c < channels; c++) mid[o + c]! += w * (src[s + c] ?? 0);
      }
    }
  }
  // Rows: dstRows × dstCols × channels.
  const out = new Float64Array(dstRows * dstCols * channels);
  const rowLen = dstCols * channels;
  for (let y = 0; y < dstRows; y++) {
    const o = y * rowLen;
    for (let t = ty.start[y]!; t < ty.start[y + 1]!; t++) {
      const s = ty.index[t]! * rowLen;
      const w = ty.weight[t]!;
      for (let k = 0; k < rowLen; k++) out[o + k]! += w * mid[s + k]!;
    }
  }
  return out;
}
