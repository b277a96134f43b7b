import { describe, expect, it } from 'vitest';
import { axisTaps, resizeImage } from './resize-image';

/** Taps of one axis as [[index, weight], …] per output pixel. */
function taps(src: number, dst: number): [number, number][][] {
  const t = axisTaps(src, dst);
  return Array.from({ length: dst }, (_, i) => Array.from({ length: t.start[i + 1]! - t.start[i]! }, (_, k) => [t.index[t.start[i]! + k]!, t.weight[t.start[i]! + k]!]));
}

const close = (a: ArrayLike<number>, b: readonly number[]): void => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 9);
};

describe('axisTaps', () => {
  it('copies when the size is unchanged', () => {
    expect(taps(3, 3)).toEqual([[[0, 1]], [[1, 1]], [[2, 1]]]);
  });

  it('area-averages when shrinking: whole pixels at integer factors, overlaps otherwise, weights summing to 1', () => {
    expect(taps(4, 2)).toEqual([[[0, 0.5], [1, 0.5]], [[2, 0.5], [3, 0.5]]]);
    // 3 → 2: each output covers 1.5 source pixels, the middle one split between them.
    const t = taps(3, 2);
    expect(t.map((o) => o.map(([i]) => i))).toEqual([[0, 1], [1, 2]]);
    close(t.flat().map(([, w]) => w), [2 / 3, 1 / 3, 1 / 3, 2 / 3]);
    for (const [src, dst] of [[7, 3], [100, 28], [29, 28]] as const) {
      for (const o of taps(src, dst)) expect(o.reduce((s, [, w]) => s + w, 0)).toBeCloseTo(1, 12);
      // Every source pixel contributes somewhere, with total weight dst/src (nothing dropped, nothing counted twice).
      const per = new Float64Array(src);
      for (const o of taps(src, dst)) for (const [i, w] of o) per[i]! += w;
      for (const v of per) expect(v).toBeCloseTo(dst / src, 12);
    }
  });

  it('interpolates bilinearly with aligned pixel centres when growing, clamped at the edges', () => {
    // 2 → 4: source positions −0.25, 0.25, 0.75, 1.25 → clamped to 0 and 1 at the ends.
    const t = taps(2, 4);
    expect(t[0]).toEqual([[0, 1]]);
    close(t[1]!.flat(), [0, 0.75, 1, 0.25]);
    close(t[2]!.flat(), [0, 0.25, 1, 0.75]);
    expect(t[3]).toEqual([[1, 1]]);
    expect(taps(1, 3)).toEqual([[[0, 1]], [[0, 1]], [[0, 1]]]);
  });
});

describe('resizeImage', () => {
  it('leaves an image of the same size as it is, per channel', () => {
    const src = Uint8Array.from({ length: 2 * 3 * 3 }, (_, i) => i * 7);
    expect(Array.from(resizeImage(src, 2, 3, 3, 3, 2, 3))).toEqual(Array.from(src));
  });

  it('halves by averaging 2×2 blocks, each channel on its own', () => {
    // 2×2 RGB: R = 0, 10, 20, 30; G = 100 everywhere; B = 0, 0, 255, 255.
    const src = Uint8Array.of(0, 100, 0, 10, 100, 0, 20, 100, 255, 30, 100, 255);
    close(resizeImage(src, 2, 2, 3, 3, 1, 1), [15, 100, 127.5]);
  });

  it('reads the first channels of a wider pixel (RGB out of RGBA)', () => {
    const rgba = Uint8Array.of(10, 20, 30, 0, 50, 60, 70, 255);
    close(resizeImage(rgba, 1, 2, 4, 3, 1, 1), [30, 40, 50]);
    close(resizeImage(rgba, 1, 2, 4, 3, 1, 2), [10, 20, 30, 50, 60, 70]);
  });

  it('grows bilinearly, keeps constants constant and stays within the input range', () => {
    close(resizeImage(Uint8Array.of(0, 100), 1, 2, 1, 1, 1, 4), [0, 25, 75, 100]);
    close(resizeImage(Uint8Array.of(0, 100), 2, 1, 1, 1, 4, 1), [0, 25, 75, 100]);
    const flat = resizeImage(new Uint8Array(5 * 7).fill(77), 5, 7, 1, 1, 3, 11);
    close(flat, new Array<number>(33).fill(77));
    const noisy = Uint8Array.from({ length: 9 * 13 }, (_, i) => (i * 97) % 256);
    for (const [r, c] of [[4, 5], [20, 30], [9, 4], [3, 26]] as const) {
      for (const v of resizeImage(noisy, 9, 13, 1, 1, r, c)) expect(v >= 0 && v <= 255).toBe(true);
    }
  });

  it('shrinks one axis and grows the other', () => {
    // 2 rows × 4 cols → 4 rows × 2 cols: columns averaged in pairs, rows interpolated.
    const src = Uint8Array.of(0, 0, 100, 100, 200, 200, 40, 40);
    close(resizeImage(src, 2, 4, 1, 1, 4, 2), [0, 100, 50, 85, 150, 55, 200, 40]);
  });

  it('a 2× downscale of a 2× nearest upscale gives the original back exactly', () => {
    const img = Uint8Array.from({ length: 5 * 6 }, (_, i) => (i * 53) % 256);
    const up = Uint8Array.from({ length: 10 * 12 }, (_, i) => img[Math.floor(i / 12 / 2) * 6 + Math.floor((i % 12) / 2)]!);
    expect(Array.from(resizeImage(up, 10, 12, 1, 1, 5, 6))).toEqual(Array.from(img));
  });
});
