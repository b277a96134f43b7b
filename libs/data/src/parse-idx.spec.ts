import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { pairImagesLabels } from './pair-images-labels';
import { parseIdx, readIdxFile } from './parse-idx';
import { encodeIdx } from './testing';

const pixels = Uint8Array.from({ length: 3 * 2 * 4 }, (_, i) => i * 10);
const labels = Uint8Array.from([2, 0, 1]);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('parseIdx', () => {
  it('reads a raw images file (magic 2051) and a raw labels file (magic 2049)', () => {
    const img = encodeIdx([3, 2, 4], pixels);
    expect(new DataView(img.buffer).getUint32(0, false)).toBe(2051);
    const parsed = parseIdx(img, 'images');
    expect(parsed.dims).toEqual([3, 2, 4]);
    expect([...parsed.data]).toEqual([...pixels]);
    const lab = encodeIdx([3], labels);
    expect(new DataView(lab.buffer).getUint32(0, false)).toBe(2049);
    expect(parseIdx(lab, 'labels')).toEqual({ dims: [3], data: labels });
  });

  it('detects and inflates gzip', () => {
    const parsed = parseIdx(encodeIdx([3, 2, 4], pixels, { gzip: true }), 'images');
    expect(parsed.dims).toEqual([3, 2, 4]);
    expect([...parsed.data]).toEqual([...pixels]);
  });

  it('rejects a wrong magic (not 00 00 08)', () => {
    const img = encodeIdx([3, 2, 4], pixels);
    img[2] = 0x0d; // float IDX
    expect(codeOf(() => parseIdx(img, 'images'))).toBe('DATA_ERR_BAD_MAGIC');
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]);
    expect(codeOf(() => parseIdx(png))).toBe('DATA_ERR_BAD_MAGIC');
  });

  it('rejects truncated data, headers and gzip streams', () => {
    const img = encodeIdx([3, 2, 4], pixels);
    expect(codeOf(() => parseIdx(img.subarray(0, img.length - 1), 'images'))).toBe('DATA_ERR_TRUNCATED');
    expect(codeOf(() => parseIdx(img.subarray(0, 10), 'images'))).toBe('DATA_ERR_TRUNCATED');
    expect(codeOf(() => parseIdx(img.subarray(0, 3)))).toBe('DATA_ERR_TRUNCATED');
    const gz = encodeIdx([3, 2, 4], pixels, { gzip: true });
    expect(codeOf(() => parseIdx(gz.subarray(0, gz.length - 6), 'images'))).toBe('DATA_ERR_TRUNCATED');
  });

  it('rejects corrupt gzip', () => {
    const gz = encodeIdx([3, 2, 4], pixels, { gzip: true });
    const bad = Uint8Array.from(gz);
    bad.fill(0xff, 10, 20);
    expect(codeOf(() => parseIdx(bad, 'images'))).toBe('DATA_ERR_BAD_GZIP');
  });

  it('rejects wrong rank, zero dims and trailing bytes', () => {
    expect(codeOf(() => parseIdx(encodeIdx([24], pixels), 'images'))).toBe('DATA_ERR_BAD_DIMS');
    expect(codeOf(() => parseIdx(encodeIdx([3, 1], labels), 'labels'))).toBe('DATA_ERR_BAD_DIMS');
    expect(codeOf(() => parseIdx(encodeIdx([0, 2, 4], new Uint8Array(0)), 'images'))).toBe('DATA_ERR_BAD_DIMS');
    expect(codeOf(() => parseIdx(encodeIdx([1, 1, 1, 1, 24], pixels)))).toBe('DATA_ERR_BAD_DIMS');
    const long = encodeIdx([2, 2, 4], pixels); // header says 16 bytes, 24 follow
    expect(codeOf(() => parseIdx(long, 'images'))).toBe('DATA_ERR_BAD_DIMS');
  });

  it('enforces maxBytes at the boundary, also against gzip bombs', () => {
    expect(parseIdx(encodeIdx([3, 2, 4], pixels), 'images', { maxBytes: 24 }).data.length).toBe(24);
    expect(codeOf(() => parseIdx(encodeIdx([3, 2, 4], pixels), 'images', { maxBytes: 23 }))).toBe('DATA_ERR_TOO_LARGE');
    const bomb = gzipSync(new Uint8Array(1_000_000));
    expect(codeOf(() => parseIdx(bomb, 'images', { maxBytes: 1000 }))).toBe('DATA_ERR_TOO_LARGE');
  });
});

describe('readIdxFile', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('reads a file and reports a missing one as DATA_ERR_NOT_FOUND', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dtrain-idx-'));
    dirs.push(dir);
    await writeFile(join(dir, 'x.gz'), encodeIdx([3], labels, { gzip: true }));
    expect((await readIdxFile(join(dir, 'x.gz'))).dims).toEqual([3]);
    await expect(readIdxFile(join(dir, 'nope'))).rejects.toMatchObject({ code: 'DATA_ERR_NOT_FOUND' });
  });
});

describe('pairImagesLabels', () => {
  const img = { dims: [3, 2, 4], data: pixels };
  const lab = { dims: [3], data: labels };

  it('builds a Dataset', () => {
    const ds = pairImagesLabels(img, lab, 'tiny', ['a', 'b', 'c']);
    expect(ds).toMatchObject({ name: 'tiny', count: 3, rows: 2, cols: 4, numClasses: 3, classNames: ['a', 'b', 'c'] });
    expect(ds.labels).toBe(labels);
  });

  it('rejects mismatched counts, out-of-range labels and wrong ranks', () => {
    expect(codeOf(() => pairImagesLabels(img, { dims: [2], data: labels.subarray(0, 2) }, 't', ['a', 'b', 'c']))).toBe('DATA_ERR_MISMATCH');
    expect(codeOf(() => pairImagesLabels(img, lab, 't', ['a', 'b']))).toBe('DATA_ERR_BAD_LABEL');
    expect(codeOf(() => pairImagesLabels(lab, lab, 't', ['a', 'b', 'c']))).toBe('DATA_ERR_BAD_DIMS');
    expect(codeOf(() => pairImagesLabels(img, img, 't', ['a', 'b', 'c']))).toBe('DATA_ERR_BAD_DIMS');
  });

  it('reads N×H×W as grey and N×H×W×C (C = 1 or 3) as HWC channels; any other C is refused naming the file', () => {
    expect(pairImagesLabels(img, lab, 'tiny', ['a', 'b', 'c']).channels).toBe(1);
    const rgb = { dims: [3, 2, 4, 3], data: new Uint8Array(3 * 2 * 4 * 3) };
    expect(pairImagesLabels(rgb, lab, 'tiny', ['a', 'b', 'c'])).toMatchObject({ count: 3, rows: 2, cols: 4, channels: 3 });
    expect(pairImagesLabels({ dims: [3, 2, 4, 1], data: pixels }, lab, 'tiny', ['a', 'b', 'c']).channels).toBe(1);
    for (const c of [2, 4]) {
      const bad = { dims: [3, 2, 4, c], data: new Uint8Array(24 * c) };
      expect(() => pairImagesLabels(bad, lab, 'tiny', ['a', 'b', 'c'], '/data/train-images')).toThrow(
        expect.objectContaining({ code: 'DATA_ERR_BAD_DIMS', message: expect.stringContaining('/data/train-images'), details: expect.objectContaining({ file: '/data/train-images' }) }),
      );
    }
    expect(codeOf(() => parseIdx(encodeIdx([3, 2, 4, 3], new Uint8Array(72)), 'images'))).toBeUndefined();
    expect(codeOf(() => parseIdx(encodeIdx([3, 24], pixels), 'images'))).toBe('DATA_ERR_BAD_DIMS');
  });
});
