import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { loadDataset } from './load-dataset';

/** Writes digit `i` of mnist-subset as a 56×56 RGB PNG (white ink on black, like MNIST). */
async function writeDigits(dir: string, perClass: number, classes: number[]): Promise<void> {
  const src = await loadDataset('mnist-subset');
  const seen = new Map<number, number>();
  for (let i = 0; i < src.train.count; i++) {
    const label = src.train.labels[i]!;
    if (!classes.includes(label) || (seen.get(label) ?? 0) >= perClass) continue;
    seen.set(label, (seen.get(label) ?? 0) + 1);
    const png = new PNG({ width: 56, height: 56 });
    for (let y = 0; y < 56; y++)
      for (let x = 0; x < 56; x++) {
        const v = src.train.images[i * 784 + (y >> 1) * 28 + (x >> 1)]!;
        png.data.set([v, v, v, 255], (y * 56 + x) * 4);
      }
    await mkdir(join(dir, `digit-${label}`), { recursive: true });
    await writeFile(join(dir, `digit-${label}`, `${i}.png`), PNG.sync.write(png));
  }
}

describe("'folder:DIR' (ImageFolder)", () => {
  it('reads class directories as 28×28 grayscale with their names, splits 80/20 seeded, and caches the decode', async () => {
    const root = await mkdtemp(join(tmpdir(), 'dtrain-folder-'));
    const cacheDir = await mkdtemp(join(tmpdir(), 'dtrain-folder-cache-'));
    await writeDigits(root, 30, [3, 7]);
    const first = await loadDataset(`folder:${root}`, { cacheDir });
    expect(first.train.classNames).toEqual(['digit-3', 'digit-7']);
    expect([first.train.count, first.test.count]).toEqual([48, 12]);
    expect([first.train.rows, first.train.cols, first.train.numClasses]).toEqual([28, 28, 2]);
    expect(first.source).toMatch(/decoded 60 images/);
    const second = await loadDataset(`folder:${root}`, { cacheDir });
    expect(second.source).toMatch(/cached in/);
    expect(Array.from(second.train.images)).toEqual(Array.from(first.train.images));
    expect(Array.from(second.test.labels)).toEqual(Array.from(first.test.labels));
    // The 2× upscaled digit box-filters back to the original pixels.
    const original = await loadDataset('mnist-subset');
    const mean = (a: Uint8Array): number => a.reduce((s, v) => s + v, 0) / a.length;
    expect(Math.abs(mean(first.train.images) - mean(original.train.images.subarray(0, 784 * 200)))).toBeLessThan(20);
  });

  it('takes DIR/train and DIR/test when they are there', async () => {
    const root = await mkdtemp(join(tmpdir(), 'dtrain-folder-'));
    await writeDigits(join(root, 'train'), 10, [1, 2]);
    await writeDigits(join(root, 'test'), 4, [1, 2]);
    const s = await loadDataset(`folder:${root}`, { cacheDir: await mkdtemp(join(tmpdir(), 'dtrain-folder-cache-')) });
    expect([s.train.count, s.test.count]).toEqual([20, 8]);
  });

  it('names the file of a corrupt image (DATA_ERR_BAD_IMAGE) and refuses JPEGs and trees without classes', async () => {
    const root = await mkdtemp(join(tmpdir(), 'dtrain-folder-'));
    await writeDigits(root, 5, [0, 1]);
    const bad = join(root, 'digit-1', 'broken.png');
    await writeFile(bad, 'not a png at all');
    await expect(loadDataset(`folder:${root}`, { cacheDir: await mkdtemp(join(tmpdir(), 'c-')) })).rejects.toMatchObject({ code: 'DATA_ERR_BAD_IMAGE', details: { file: bad } });
    const jpg = await mkdtemp(join(tmpdir(), 'dtrain-folder-'));
    await writeDigits(jpg, 3, [0, 1]);
    await writeFile(join(jpg, 'digit-0', 'photo.jpg'), 'x');
    await expect(loadDataset(`folder:${jpg}`)).rejects.toMatchObject({ code: 'DATA_ERR_BAD_IMAGE' });
    const flat = await mkdtemp(join(tmpdir(), 'dtrain-folder-'));
    await expect(loadDataset(`folder:${flat}`)).rejects.toMatchObject({ code: 'DATA_ERR_BAD_SPEC' });
    await expect(loadDataset(`folder:${join(flat, 'missing')}`)).rejects.toMatchObject({ code: 'DATA_ERR_NOT_FOUND' });
  });
});
