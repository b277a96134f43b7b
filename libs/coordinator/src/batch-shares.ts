/**
 * How one BSP step's samples are split over `members` (in join order): as evenly as possible, the
 * first `samples % members` members taking one more; with fewer samples than members, the last get none.
 */
export function batchShares(samples: number, members: number): number[] {
  const base = Math.floor(samples / members);
  const extra = samples - base * members;
  return Array.from({ length: members }, (_, i) => base + (i < extra ? 1 : 0));
}
