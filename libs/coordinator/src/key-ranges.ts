import { CoordinatorError } from './coordinator-error';

/** A contiguous key range [start, end) of the flat parameter vector. */
export interface KeyRange {
  start: number;
  end: number;
}

/** How far (as a share of one range's ideal size) a cut may move to land on a tensor boundary. */
export const DEFAULT_BOUNDARY_SLACK = 0.1;

/**
 * Splits a flat vector made of tensors of `sizes` (manifest order) into `k` contiguous ranges of
 * about equal size (bytes: every weight is fp32). Each cut lands on the tensor boundary nearest its
 * ideal place when that boundary is within `slack` of one range's size; otherwise the cut splits the
 * tensor there — a model whose one dense kernel holds 90 % of its weights (the model of record) would
 * otherwise leave one server with nearly everything. Deterministic: the same sizes give the same ranges.
 */
export function keyRanges(sizes: readonly number[], k: number, slack = DEFAULT_BOUNDARY_SLACK): KeyRange[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (!Number.isInteger(k) || k < 1) throw new CoordinatorError('PS_ERR_BAD_OPTION', `the number of shards must be a positive integer, got ${k}`);
  if (k > total) throw new CoordinatorError('PS_ERR_BAD_OPTION', `${k} shards for ${total} weights: each shard needs at least one`);
  const boundaries: number[] = [];
  let at = 0;
  for (const s of sizes) boundaries.push((at += s));
  const ranges: KeyRange[] = [];
  let start = 0;
  for (let i = 1; i < k; i++) {
    const ideal = Math.round((total * i) / k);
    const nearest = boundaries.reduce((best, b) => (Math.abs(b - ideal) < Math.abs(best - ideal) ? b : best), 0);
    let cut = Math.abs(nearest - ideal) <= slack * (total / k) ? nearest : ideal;
    // Every range keeps at least one weight, and there must be room for the ranges still to come.
    cut = Math.min(Math.max(cut, start + 1), total - (k - i));
    ranges.push({ start, end: cut });
    start = cut;
  }
  ranges.push({ start, end: total });
  return ranges;
}
