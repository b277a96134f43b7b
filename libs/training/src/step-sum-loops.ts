/**
 * The BSP step sum's element loops, as top-level functions of plain arguments so the hot loops touch
 * only locals and stay monomorphic. The accumulator is float64: a float32 gradient times an integer
 * sample count is exact there, so the mean does not depend on the order pushes arrive in.
 */

/** acc += weight · g. */
export function addWeighted(acc: Float64Array, g: Float32Array, weight: number): void {
  const n = acc.length;
  for (let i = 0; i < n; i++) acc[i]! += g[i]! * weight;
}

/** out = acc · inv, rounded once to float32. */
export function scaleInto(out: Float32Array, acc: Float64Array, inv: number): void {
  const n = out.length;
  for (let i = 0; i < n; i++) out[i] = acc[i]! * inv;
}

/**
 * out = (acc + weight · g) · inv: the step's last push and the mean in one pass over the weights
 * instead of two (one read of the 8-byte accumulator and one loop less on the step's critical path).
 * Bit-identical to addWeighted then scaleInto, as a Float64Array stores the double sum exactly; `acc`
 * is left without this push, so call it only for the push that completes the step.
 */
export function meanWithLast(out: Float32Array, acc: Float64Array, g: Float32Array, weight: number, inv: number): void {
  const n = out.length;
  for (let i = 0; i < n; i++) out[i] = (acc[i]! + g[i]! * weight) * inv;
}
