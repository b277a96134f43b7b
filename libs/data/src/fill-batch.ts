import { createRng, mixSeed } from '@dtrain/common';
import { isIdentityAugment, sampleAffine, validateAugmentOptions, warpAffine } from './augment';
import type { AugmentOptions } from './augment';
import { DataError } from './data-error';
import { imageSize } from './dataset';
import type { Dataset } from './dataset';

export interface FillBatchOptions {
  augment?: AugmentOptions;
  /**
   * Seeds augmentation together with each sample's dataset index, so a sample's warp depends only on
   * (seed, index): reproducible in any process, any batch composition. Mix the epoch into the seed
   * (e.g. mixSeed(runSeed, epoch)) to get a fresh warp each epoch. Default 0.
   */
  seed?: number;
}

/** Byte → [0, 1] float, computed once so every process produces bit-identical inputs. */
const UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/**
 * Writes samples `indices` of `ds` into `out` (NHWC: count·rows·cols·channels floats in [0, 1], the
 * dataset's own HWC layout, so the model's input needs no transpose) and their labels into
 * `outLabels`; returns the number written (indices.length).
 */
export function fillBatch(
  ds: Dataset,
  indices: ArrayLike<number>,
  out: Float32Array,
  outLabels: Int32Array,
  opts: FillBatchOptions = {},
): number {
  const n = indices.length;
  const size = imageSize(ds);
  if (out.length < n * size || outLabels.length < n) {
    throw new DataError('DATA_ERR_BAD_BATCH', `buffers hold ${out.length / size} images / ${outLabels.length} labels, batch has ${n}`, { n });
  }
  const augment = opts.augment;
  if (augment) validateAugmentOptions(augment);
  const warp = augment !== undefined && !isIdentityAugment(augment) ? augment : undefined;
  const seed = opts.seed ?? 0;
  for (let i = 0; i < n; i++) {
    const idx = indices[i] ?? -1;
    if (!Number.isInteger(idx) || idx < 0 || idx >= ds.count) {
      throw new DataError('DATA_ERR_BAD_BATCH', `index ${idx} is outside 0..${ds.count - 1}`, { index: idx, position: i });
    }
    const src = idx * size;
    const dst = i * size;
    if (warp) {
      warpAffine(ds.images, src, ds.rows, ds.cols, ds.channels, sampleAffine(warp, createRng(mixSeed(seed, idx))), out, dst);
    } else {
      for (let j = 0; j < size; j++) out[dst + j] = UNIT[ds.images[src + j] ?? 0] ?? 0;
    }
    outLabels[i] = ds.labels[idx] ?? 0;
  }
  return n;
}
