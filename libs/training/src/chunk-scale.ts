/** 1.5·2^52: adding and subtracting it rounds a double in (-2^51, 2^51) to an integer, ties to even, without a branch. */
export const RNE_MAGIC = 6755399441055744;

/**
 * The absmax scale of x[start, end) for a symmetric code of ±levels: fround(max|x| / levels), so the
 * largest magnitude maps to exactly ±levels. 0 for an all-zero chunk.
 */
export function absmaxScale(x: Float32Array, start: number, end: number, levels: number): number {
  let absmax = 0;
  for (let i = start; i < end; i++) {
    const a = Math.abs(x[i]!);
    if (a > absmax) absmax = a;
  }
  return Math.fround(absmax / levels);
}
