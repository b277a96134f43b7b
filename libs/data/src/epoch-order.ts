import { createRng, mixSeed, shuffleInPlace } from '@dtrain/common';

/** Stream tag so epoch shuffles never coincide with shard or augmentation streams of the same seed. */
const TAG_EPOCH = 0xe90c;

/** A seeded permutation of `indices` for one epoch (a copy; `indices` is left as is). */
export function epochOrder(indices: Uint32Array, seed: number, epoch: number): Uint32Array {
  return shuffleInPlace(indices.slice(), createRng(mixSeed(seed, TAG_EPOCH, epoch)));
}
