import { createHash } from 'node:crypto';
import { createRng, mixSeed } from '@dtrain/common';
import { describe, expect, it } from 'vitest';
import { sampleAffine, warpAffine } from './augment';
import type { AugmentOptions } from './augment';
import { limitDataset } from './dataset';
import type { Dataset } from './dataset';
import { datasetChecksum } from './dataset-checksum';
import { fillBatch } from './fill-batch';
import { syntheticDataset } from './testing';

const ds = syntheticDataset({ count: 20, rows: 8, cols: 8, seed: 3 });
const size = 64;
const aug: AugmentOptions = { rotateDeg: 15, shift: 2, scale: 0.1 };

function batch(d: Dataset, idx: number[], opts?: Parameters<typeof fillBatch>[4]): { x: Float32Array; y: Int32Array } {
  const x = new Float32Array(idx.length * d.rows * d.cols);
  const y = new Int32Array(idx.length);
  expect(fillBatch(d, idx, x, y, opts)).toBe(idx.length);
  return { x, y };
}

describe('fillBatch', () => {
  it('normalises bytes to [0, 1] floats and copies labels, touching nothing past the batch', () => {
    const d: Dataset = { ...ds, count: 2, images: new Uint8Array(2 * size), labels: Uint8Array.from([4, 9]) };
    d.images.set([0, 255, 51], size);
    const x = new Float32Array(3 * size).fill(-1);
    const y = new Int32Array(3).fill(-1);
    fillBatch(d, [1, 0], x, y);
    expect([x[0], x[1], x[2], x[3]]).toEqual([0, 1, Math.fround(0.2), 0]);
    expect(Array.from(y)).toEqual([9, 4, -1]);
    expect(x.subarray(2 * size).every((v) => v === -1)).toBe(true);
  });

  it('with a zero augmentation gives exactly the plain batch', () => {
    expect(batch(ds, [3, 1, 4], { augment: { rotateDeg: 0, shift: 0, scale: 0 }, seed: 9 })).toEqual(batch(ds, [3, 1, 4]));
  });

  it('augments reproducibly from (seed, sample index), independent of batch position', () => {
    const a = batch(ds, [5, 6, 7], { augment: aug, seed: 11 });
    expect(batch(ds, [5, 6, 7], { augment: aug, seed: 11 })).toEqual(a);
    const moved = batch(ds, [7, 5], { augment: aug, seed: 11 });
    expect(moved.x.subarray(0, size)).toEqual(a.x.subarray(2 * size));
    expect(batch(ds, [5, 6, 7], { augment: aug, seed: 12 }).x).not.toEqual(a.x);
    expect(a.x).not.toEqual(batch(ds, [5, 6, 7]).x);
    expect(a.x.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it.each([
    { name: 'index past the end', idx: [20], x: size, opts: {} },
    { name: 'negative index', idx: [-1], x: size, opts: {} },
    { name: 'fractional index', idx: [1.5], x: size, opts: {} },
    { name: 'image buffer too small', idx: [0, 1], x: 2 * size - 1, opts: {} },
    { name: 'scale ≥ 1', idx: [0], x: size, opts: { augment: { ...aug, scale: 1 } } },
    { name: 'negative rotation range', idx: [0], x: size, opts: { augment: { ...aug, rotateDeg: -1 } } },
  ])('rejects $name with DATA_ERR_BAD_BATCH', ({ idx, x, opts }) => {
    expect(() => fillBatch(ds, idx, new Float32Array(x), new Int32Array(idx.length), opts)).toThrow(
      expect.objectContaining({ code: 'DATA_ERR_BAD_BATCH' }),
    );
  });
});

describe('fillBatch with colour images', () => {
  const rgb = syntheticDataset({ count: 6, rows: 5, cols: 4, channels: 3, seed: 5 });
  const px = 5 * 4 * 3;

  it('copies whole HWC images (rows · cols · channels floats each), in batch order', () => {
    const x = new Float32Array(2 * px);
    const y = new Int32Array(2);
    fillBatch(rgb, [4, 1], x, y);
    expect(Array.from(x.subarray(0, px))).toEqual(Array.from(rgb.images.subarray(4 * px, 5 * px), (v) => Math.fround(v / 255)));
    expect(Array.from(x.subarray(px))).toEqual(Array.from(rgb.images.subarray(px, 2 * px), (v) => Math.fround(v / 255)));
    expect(() => fillBatch(rgb, [0, 1], new Float32Array(2 * 5 * 4), y)).toThrow(expect.objectContaining({ code: 'DATA_ERR_BAD_BATCH' }));
  });

  it('warps every channel through the same transform: each equals the warp of that channel alone', () => {
    const x = new Float32Array(px);
    fillBatch(rgb, [2], x, new Int32Array(1), { augment: aug, seed: 7 });
    const p = sampleAffine(aug, createRng(mixSeed(7, 2)));
    for (let c = 0; c < 3; c++) {
      const plane = Uint8Array.from({ length: 20 }, (_, i) => rgb.images[2 * px + i * 3 + c]!);
      const alone = new Float32Array(20);
      warpAffine(plane, 0, 5, 4, 1, p, alone, 0);
      expect(Array.from({ length: 20 }, (_, i) => x[i * 3 + c])).toEqual(Array.from(alone));
    }
  });
});

describe('warpAffine against exact integer transforms', () => {
  const img = Uint8Array.from({ length: size }, (_, i) => (i * 37) % 256);
  const at = (x: number, y: number): number => (x < 0 || y < 0 || x >= 8 || y >= 8 ? 0 : img[y * 8 + x]! / 255);

  it('a whole-pixel shift moves pixels and fills with 0', () => {
    const out = new Float32Array(size);
    warpAffine(img, 0, 8, 8, 1, { angleRad: 0, scale: 1, tx: 2, ty: -1 }, out, 0);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) expect(out[y * 8 + x]).toBeCloseTo(at(x - 2, y + 1), 6);
  });

  it('a 90° rotation about the centre matches index arithmetic', () => {
    const out = new Float32Array(size);
    warpAffine(img, 0, 8, 8, 1, { angleRad: Math.PI / 2, scale: 1, tx: 0, ty: 0 }, out, 0);
    // out = R·(in − c) + c with R = [[0, −1], [1, 0]] ⇒ out(x, y) = in(y, 7 − x).
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) expect(out[y * 8 + x]).toBeCloseTo(at(y, 7 - x), 6);
  });

  it('a half-pixel shift averages neighbours (bilinear)', () => {
    const out = new Float32Array(size);
    warpAffine(img, 0, 8, 8, 1, { angleRad: 0, scale: 1, tx: 0.5, ty: 0 }, out, 0);
    expect(out[3 * 8 + 4]).toBeCloseTo((at(3, 3) + at(4, 3)) / 2, 6);
  });

  it('sampled parameters stay in range', () => {
    const rng = createRng(1);
    for (let i = 0; i < 1000; i++) {
      const p = sampleAffine(aug, rng);
      expect(Math.abs(p.angleRad)).toBeLessThanOrEqual((15 * Math.PI) / 180);
      expect(Math.abs(p.scale - 1)).toBeLessThanOrEqual(0.1);
      expect(Math.max(Math.abs(p.tx), Math.abs(p.ty))).toBeLessThanOrEqual(2);
    }
  });
});

describe('datasetChecksum', () => {
  it('depends on content and shape, not on the name', () => {
    const c = datasetChecksum(ds);
    expect(c).toMatch(/^[0-9a-f]{16}$/);
    expect(datasetChecksum({ ...ds, name: 'other' })).toBe(c);
    const changed = { ...ds, images: ds.images.slice() };
    changed.images[100] = (changed.images[100]! + 1) % 256;
    expect(datasetChecksum(changed)).not.toBe(c);
    expect(datasetChecksum({ ...ds, labels: ds.labels.map((l) => (l + 1) % 10) })).not.toBe(c);
    expect(datasetChecksum({ ...ds, rows: 4, cols: 16 })).not.toBe(c);
    expect(datasetChecksum(limitDataset(ds, 19))).not.toBe(c);
  });

  it('tells channels apart (28×28×3 is not 28×84×1) and keeps grey checksums as they were', () => {
    const rgb = syntheticDataset({ count: 4, rows: 4, cols: 4, channels: 3 });
    expect(datasetChecksum(rgb)).not.toBe(datasetChecksum({ ...rgb, cols: 12, channels: 1 }));
    // The grey header is the pre-channels one: count, rows, cols, numClasses.
    const header = new Uint8Array(16);
    [ds.count, ds.rows, ds.cols, ds.numClasses].forEach((v, i) => new DataView(header.buffer).setUint32(4 * i, v, true));
    const legacy = createHash('sha256').update(header).update(ds.images).update(ds.labels).digest('hex').slice(0, 16);
    expect(datasetChecksum(ds)).toBe(legacy);
  });
});
