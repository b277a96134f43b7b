import type { Rng } from '@dtrain/common';
import { DataError } from './data-error';

export interface AugmentOptions {
  /** Rotation drawn uniformly from ±rotateDeg degrees. */
  rotateDeg: number;
  /** Translation drawn uniformly from ±shift pixels, independently in x and y. */
  shift: number;
  /** Zoom drawn uniformly from 1-scale..1+scale (e.g. 0.1 → 0.9..1.1); must be < 1. */
  scale: number;
}

/** One drawn transform: output = scale·R(angle)·(input − centre) + centre + (tx, ty). */
export interface AffineParams {
  angleRad: number;
  scale: number;
  tx: number;
  ty: number;
}

export function validateAugmentOptions(o: AugmentOptions): void {
  const ok = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  if (!ok(o.rotateDeg) || !ok(o.shift) || !ok(o.scale) || o.scale >= 1) {
    throw new DataError('DATA_ERR_BAD_BATCH', 'augment needs finite rotateDeg ≥ 0, shift ≥ 0 and 0 ≤ scale < 1', { augment: o });
  }
}

export function isIdentityAugment(o: AugmentOptions): boolean {
  return o.rotateDeg === 0 && o.shift === 0 && o.scale === 0;
}

/** Draws angle, scale, tx, ty in that order (the order is part of the reproducibility contract). */
export function sampleAffine(o: AugmentOptions, rng: Rng): AffineParams {
  const sym = (r: number): number => (2 * rng.next() - 1) * r;
  return { angleRad: (sym(o.rotateDeg) * Math.PI) / 180, scale: 1 + sym(o.scale), tx: sym(o.shift), ty: sym(o.shift) };
}

/**
 * Warps one rows×cols×channels byte image (HWC, channels interleaved) with `p` into `out[offset ..]`
 * as floats in [0, 1]. Each output pixel is mapped back through the inverse transform once and every
 * channel is sampled bilinearly at that point, so the colours of a pixel move together; outside the
 * source is 0 (MNIST's background, black for colour images), so content is never smeared in from the
 * border.
 */
export function warpAffine(
  src: Uint8Array,
  srcOffset: number,
  rows: number,
  cols: number,
  channels: number,
  p: AffineParams,
  out: Float32Array,
  outOffset: number,
): void {
  const cx = (cols - 1) / 2;
  const cy = (rows - 1) / 2;
  const cos = Math.cos(p.angleRad) / p.scale;
  const sin = Math.sin(p.angleRad) / p.scale;
  const px = (x: number, y: number, c: number): number =>
    x < 0 || y < 0 || x >= cols || y >= rows ? 0 : (src[srcOffset + (y * cols + x) * channels + c] ?? 0);
  for (let y = 0; y < rows; y++) {
    const dy = y - cy - p.ty;
    for (let x = 0; x < cols; x++) {
      const dx = x - cx - p.tx;
      const sx = cos * dx + sin * dy + cx;
      const sy = -sin * dx + cos * dy + cy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const o = outOffset + (y * cols + x) * channels;
      for (let c = 0; c < channels; c++) {
        const top = px(x0, y0, c) * (1 - fx) + px(x0 + 1, y0, c) * fx;
        const bottom = px(x0, y0 + 1, c) * (1 - fx) + px(x0 + 1, y0 + 1, c) * fx;
        out[o + c] = (top * (1 - fy) + bottom * fy) / 255;
      }
    }
  }
}
