/**
 * How one BSP step's samples are split over `members` (in join order): as evenly as possible, the
 * first `samples % members` members taking one more; with fewer samples than members, the last get none.
 */
export function batchShares(samples: number, members: number): number[] {
  const base = Math.floor(samples / members);
  const extra = samples - base * members;
  return Array.from({ length: members }, (_, i) => base + (i < extra ? 1 : 0));
}

/**
 * The step's samples split in proportion to `weights` (each member's measured samples/s), by largest
 * remainder so they sum to `samples` exactly; every member keeps at least one sample while there are
 * enough, so each stays measured. Non-finite or non-positive weights count as the smallest positive one.
 */
export function weightedShares(samples: number, weights: readonly number[]): number[] {
  const n = weights.length;
  if (n === 0) return [];
  const positive = weights.filter((w) => Number.isFinite(w) && w > 0);
  const floor = positive.length > 0 ? Math.min(...positive) : 1;
  const w = weights.map((x) => (Number.isFinite(x) && x > 0 ? x : floor));
  const reserved = samples >= n ? 1 : 0;
  const rest = samples - reserved * n;
  const total = w.reduce((a, b) => a + b, 0);
  const exact = w.map((x) => (rest * x) / total);
  const shares = exact.map((x) => Math.floor(x));
  let left = rest - shares.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    shares[i]!++;
    left--;
  }
  if (reserved === 0) return batchShares(samples, n);
  return shares.map((s) => s + 1);
}
