import { createRng } from '@dtrain/common';

/**
 * Test fixtures (second door, never imported by production code).
 * A reproducible gradient-like array: normal × log-normal magnitudes, so a few entries dominate as in
 * real gradients (which is what top-k and int8 chunking are sensitive to).
 */
export function seededGradient(size: number, seed: number, scale = 1e-3): Float32Array {
  const r = createRng(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = r.normal() * Math.exp(2 * r.normal()) * scale;
  return out;
}
