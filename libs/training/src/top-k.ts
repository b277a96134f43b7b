/** Buckets per radix pass: 16 bits of the magnitude at a time, so two counting passes find the threshold. */
const RADIX_BUCKETS = 1 << 16;

/**
 * Exact top-k by magnitude in O(n) without sorting or copying the input: the magnitudes' float bits
 * (sign cleared) order like the magnitudes, so a two-pass radix select over the high and then the low
 * 16 bits finds the k-th largest |x|, and one more pass collects indices in ascending order.
 * Ties at the threshold keep the lowest indices. Keeps its 256 KiB histogram between calls.
 */
export class TopKSelector {
  private readonly hist = new Uint32Array(RADIX_BUCKETS);

  select(x: Float32Array, k: number): { indices: Uint32Array; values: Float32Array } {
    const n = x.length;
    const kk = Math.max(0, Math.min(k, n));
    const indices = new Uint32Array(kk);
    const values = new Float32Array(kk);
    if (kk === 0) return { indices, values };
    const bits = new Uint32Array(x.buffer, x.byteOffset, n);
    const hist = this.hist;

    hist.fill(0);
    for (let i = 0; i < n; i++) hist[(bits[i]! & 0x7fffffff) >>> 16]!++;
    let above = 0;
    let hi = RADIX_BUCKETS - 1;
    for (; hi > 0 && above + hist[hi]! < kk; hi--) above += hist[hi]!;

    hist.fill(0);
    for (let i = 0; i < n; i++) {
      const a = bits[i]! & 0x7fffffff;
      if (a >>> 16 === hi) hist[a & 0xffff]!++;
    }
    let lo = RADIX_BUCKETS - 1;
    for (; lo > 0 && above + hist[lo]! < kk; lo--) above += hist[lo]!;

    const threshold = (hi << 16) | lo;
    let equalLeft = kk - above; // how many of the elements exactly at the threshold still fit
    let j = 0;
    for (let i = 0; i < n && j < kk; i++) {
      const a = bits[i]! & 0x7fffffff;
      if (a > threshold || (a === threshold && equalLeft-- > 0)) {
        indices[j] = i;
        values[j++] = x[i]!;
      }
    }
    return { indices, values };
  }
}
