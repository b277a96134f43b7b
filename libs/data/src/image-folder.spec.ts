import { mkdir, mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDataset } from './load-dataset';

type Rgba = [number, number, number, number];
type Pixel = (x: number, y: number) => Rgba;

const dirs: string[] = [];
async function tmp(prefix = 'dtrain-folder-'): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** colorType 0 grey, 2 RGB, 4 grey+alpha, 6 RGBA (pngjs converts from its RGBA buffer). */
async function writePng(file: string, width: number, height: number, pixel: Pixel, colorType: 0 | 2 | 4 | 6 = 6): Promise<void> {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) png.data.set(pixel(x, y), (y * width + x) * 4);
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, PNG.sync.write(png, { colorType }));
}

async function writeJpeg(file: string, width: number, height: number, pixel: Pixel): Promise<void> {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 4);
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, jpeg.encode({ width, height, data }, 100).data);
}

/** A colourful test pattern, different per image `k`. */
const pattern =
  (k: number): Pixel =>
  (x, y) => [(x * 40 + k * 7) % 256, (y * 50 + k * 3) % 256, (k * 30 + x * y) % 256, 255];

/** The HWC bytes `pixel` gives for a w×h image (RGB, alpha dropped). */
function rgbBytes(w: number, h: number, pixel: Pixel): number[] {
  const out: number[] = [];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out.push(...pixel(x, y).slice(0, 3));
  return out;
}

/** The images of a split as one string each, for comparing regardless of the split's order. */
function imageSet(ds: { images: Uint8Array; count: number }): Set<string> {
  const size = ds.images.length / ds.count;
  return new Set(Array.from({ length: ds.count }, (_, i) => Buffer.from(ds.images.subarray(i * size, (i + 1) * size)).toString('hex')));
}

/** Every file under dir, relative. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
}

/** Writes digit `i` of mnist-subset as a 56×56 RGB PNG (white ink on black, like MNIST); returns the digits written. */
async function writeDigits(dir: string, perClass: number, classes: number[]): Promise<Uint8Array[]> {
  const src = await loadDataset('mnist-subset');
  const seen = new Map<number, number>();
  const written: Uint8Array[] = [];
  for (let i = 0; i < src.train.count; i++) {
    const label = src.train.labels[i]!;
    if (!classes.includes(label) || (seen.get(label) ?? 0) >= perClass) continue;
    seen.set(label, (seen.get(label) ?? 0) + 1);
    const digit = src.train.images.subarray(i * 784, (i + 1) * 784);
    written.push(digit);
    await writePng(join(dir, `digit-${label}`, `${i}.png`), 56, 56, (x, y) => {
      const v = digit[(y >> 1) * 28 + (x >> 1)]!;
      return [v, v, v, 255];
    });
  }
  return written;
}

/** A presplit tree of 2 classes × (train 3, test 2) colour PNGs of w×h. */
async function colourTree(root: string, w = 8, h = 6): Promise<void> {
  for (const [split, n] of [['train', 3], ['test', 2]] as const)
    for (const c of ['cat', 'dog']) for (let k = 0; k < n; k++) await writePng(join(root, split, c, `${k}.png`), w, h, pattern(k + (c === 'dog' ? 10 : 0)), 2);
}

describe("'folder:DIR' (ImageFolder)", () => {
  it('size=28x28,channels=1,fit=resize gives the 28×28 grey of earlier versions, split 80/20 seeded, and caches the decode', async () => {
    const root = await tmp();
    const cacheDir = await tmp('dtrain-folder-cache-');
    const digits = await writeDigits(root, 30, [3, 7]);
    const spec = `folder,size=28x28,channels=1,fit=resize:${root}`;
    const first = await loadDataset(spec, { cacheDir });
    expect(first.train.classNames).toEqual(['digit-3', 'digit-7']);
    expect([first.train.count, first.test.count]).toEqual([48, 12]);
    expect([first.train.rows, first.train.cols, first.train.channels, first.train.numClasses]).toEqual([28, 28, 1, 2]);
    expect(first.source).toMatch(/decoded 60 images as 28x28x1/);
    // The 2× upscaled digits area-average back to the original pixels exactly.
    const originals = imageSet({ images: Uint8Array.from(digits.flatMap((d) => Array.from(d))), count: digits.length });
    for (const img of [...imageSet(first.train), ...imageSet(first.test)]) expect(originals.has(img)).toBe(true);
    const second = await loadDataset(spec, { cacheDir });
    expect(second.source).toMatch(/cached in/);
    expect(Array.from(second.train.images)).toEqual(Array.from(first.train.images));
    expect(Array.from(second.test.labels)).toEqual(Array.from(first.test.labels));
    // Defaults: the images' own size, and grey because no image has colour (RGB PNGs of grey pixels).
    const plain = await loadDataset(`folder:${root}`, { cacheDir });
    expect([plain.train.rows, plain.train.cols, plain.train.channels, plain.train.count]).toEqual([56, 56, 1, 48]);
  });

  it('takes DIR/train and DIR/test when they are there', async () => {
    const root = await tmp();
    await writeDigits(join(root, 'train'), 10, [1, 2]);
    await writeDigits(join(root, 'test'), 4, [1, 2]);
    const s = await loadDataset(`folder:${root}`, { cacheDir: await tmp() });
    expect([s.train.count, s.test.count]).toEqual([20, 8]);
  });

  it('reads RGB PNGs as 3-channel HWC bytes, exactly, at their own size', async () => {
    const root = await tmp();
    await colourTree(root, 8, 6);
    const s = await loadDataset(`folder:${root}`, { cacheDir: await tmp() });
    expect([s.train.count, s.test.count, s.train.rows, s.train.cols, s.train.channels]).toEqual([6, 4, 6, 8, 3]);
    expect(s.train.images.length).toBe(6 * 6 * 8 * 3);
    const want = new Set([0, 1, 2, 10, 11, 12].map((k) => Buffer.from(rgbBytes(8, 6, pattern(k))).toString('hex')));
    expect(imageSet(s.train)).toEqual(want);
    expect(s.source).toMatch(/as 6x8x3/);
  });

  it('drops alpha, widens grey to RGB when asked, and takes luma for channels=1', async () => {
    const root = await tmp();
    const half: Pixel = (x) => [200, 100, 50, x === 0 ? 0 : 128];
    const grey: Pixel = () => [90, 90, 90, 255];
    for (const split of ['train', 'test']) {
      await writePng(join(root, split, 'a', 'rgba.png'), 2, 1, half, 6);
      await writePng(join(root, split, 'b', 'grey.png'), 2, 1, grey, 0);
      await writePng(join(root, split, 'b', 'grey-alpha.png'), 2, 1, () => [30, 30, 30, 10], 4);
    }
    const byLabel = (ds: { images: Uint8Array; labels: Uint8Array; count: number }, label: number): number[][] => {
      const size = ds.images.length / ds.count;
      return Array.from(ds.labels.entries()).filter(([, l]) => l === label).map(([i]) => Array.from(ds.images.subarray(i * size, (i + 1) * size))).sort();
    };
    const rgb = await loadDataset(`folder:${root}`, { cacheDir: await tmp() });
    expect(rgb.train.channels).toBe(3);
    expect(byLabel(rgb.train, 0)).toEqual([[200, 100, 50, 200, 100, 50]]);
    expect(byLabel(rgb.train, 1)).toEqual([[30, 30, 30, 30, 30, 30], [90, 90, 90, 90, 90, 90]]);
    const luma = await loadDataset(`folder,channels=1:${root}`, { cacheDir: await tmp() });
    expect(luma.train.channels).toBe(1);
    expect(byLabel(luma.train, 0)).toEqual([[124, 124]]); // 0.299·200 + 0.587·100 + 0.114·50 = 124.2
    expect(byLabel(luma.train, 1)).toEqual([[30, 30], [90, 90]]);
  });

  it('reads JPEGs (and PNGs beside them), grey JPEG content as 1 channel', async () => {
    const root = await tmp();
    const colours: Record<string, Rgba> = { red: [220, 30, 40, 255], teal: [20, 160, 150, 255] };
    for (const [c, rgba] of Object.entries(colours)) {
      for (let k = 0; k < 4; k++) await writeJpeg(join(root, c, `${k}.jpg`), 16, 8, () => rgba);
      await writePng(join(root, c, 'extra.PNG'), 16, 8, () => rgba, 2);
      await writeJpeg(join(root, c, 'upper.JPEG'), 16, 8, () => rgba);
    }
    const s = await loadDataset(`folder:${root}`, { cacheDir: await tmp() });
    expect([s.train.count + s.test.count, s.train.rows, s.train.cols, s.train.channels]).toEqual([12, 8, 16, 3]);
    for (const ds of [s.train, s.test]) {
      for (let i = 0; i < ds.count; i++) {
        const want = Object.values(colours)[ds.labels[i]!]!;
        const img = ds.images.subarray(i * 384, (i + 1) * 384);
        for (let p = 0; p < 128; p++) for (let ch = 0; ch < 3; ch++) expect(Math.abs(img[p * 3 + ch]! - want[ch]!)).toBeLessThanOrEqual(3);
      }
    }
    const greyRoot = await tmp();
    for (const c of ['x', 'y']) for (let k = 0; k < 3; k++) await writeJpeg(join(greyRoot, c, `${k}.jpg`), 8, 8, (x) => [x * 30, x * 30, x * 30, 255]);
    expect((await loadDataset(`folder:${greyRoot}`, { cacheDir: await tmp() })).train.channels).toBe(1);
  });

  it('refuses mixed sizes without size= (naming a file and the fix), resizes them with size=, and fit=check refuses the odd one', async () => {
    const root = await tmp();
    await colourTree(root, 8, 8);
    const odd = join(root, 'train', 'dog', 'big.png');
    await writePng(odd, 16, 12, pattern(5), 2);
    const cacheDir = await tmp();
    await expect(loadDataset(`folder:${root}`, { cacheDir })).rejects.toMatchObject({
      code: 'DATA_ERR_IMAGE_SIZE',
      message: expect.stringMatching(/differ in size.*size=8x8/),
      details: expect.objectContaining({ file: expect.stringMatching(/\.png$/) }),
    });
    expect(await tree(cacheDir)).toEqual([]);
    const resized = await loadDataset(`folder,size=4x4:${root}`, { cacheDir });
    expect([resized.train.rows, resized.train.cols, resized.train.channels, resized.train.count]).toEqual([4, 4, 3, 7]);
    const check = loadDataset(`folder,size=8x8,fit=check:${root}`, { cacheDir });
    await expect(check).rejects.toMatchObject({ code: 'DATA_ERR_IMAGE_SIZE', message: expect.stringContaining(odd), details: expect.objectContaining({ file: odd, rows: 12, cols: 16 }) });
    await rm(odd);
    expect((await loadDataset(`folder,size=8x8,fit=check:${root}`, { cacheDir })).train.count).toBe(6);
    await expect(loadDataset(`folder,size=9x8,fit=check:${root}`, { cacheDir })).rejects.toMatchObject({ code: 'DATA_ERR_IMAGE_SIZE' });
  });

  it('stops at a corrupt PNG or JPEG with DATA_ERR_BAD_IMAGE naming it and caches nothing; skip-bad skips and counts them', async () => {
    const root = await tmp();
    await colourTree(root);
    const badPng = join(root, 'train', 'cat', 'broken.png');
    await writeFile(badPng, 'not a png at all');
    const cacheDir = await tmp();
    await expect(loadDataset(`folder:${root}`, { cacheDir })).rejects.toMatchObject({ code: 'DATA_ERR_BAD_IMAGE', details: expect.objectContaining({ file: badPng }) });
    await rm(badPng);
    const badJpeg = join(root, 'test', 'dog', 'cut.jpg');
    await writeJpeg(badJpeg, 8, 6, pattern(1));
    const whole = await readFile(badJpeg);
    await writeFile(badJpeg, whole.subarray(0, Math.floor(whole.length / 2)));
    await expect(loadDataset(`folder:${root}`, { cacheDir })).rejects.toMatchObject({
      code: 'DATA_ERR_BAD_IMAGE',
      message: expect.stringContaining(badJpeg),
      details: expect.objectContaining({ file: badJpeg }),
    });
    expect(await tree(cacheDir)).toEqual([]);

    await writeFile(badPng, PNG.sync.write(new PNG({ width: 8, height: 6 })).subarray(0, 40));
    const s = await loadDataset(`folder,skip-bad:${root}`, { cacheDir });
    expect([s.train.count, s.test.count]).toEqual([6, 4]);
    expect(s.skipped).toEqual({ count: 2, first: [expect.objectContaining({ file: badPng }), expect.objectContaining({ file: badJpeg })] });
    expect(s.source).toMatch(/skipped 2 unreadable: broken\.png, cut\.jpg/);
    // The count survives the cache, and the classes: prefix.
    const again = await loadDataset(`classes:1,0:folder,skip-bad:${root}`, { cacheDir });
    expect(again.source).toMatch(/cached in/);
    expect(again.skipped?.count).toBe(2);
    const listed = await loadDataset(`folder,skip-bad:${root}`, { cacheDir: await tmp(), folder: { maxSkippedListed: 1 } });
    expect(listed.skipped).toMatchObject({ count: 2, first: [{ file: badPng }] });
  });

  it('a second load reads the cache and decodes nothing; a changed file, mtime or option decodes again', async () => {
    const root = await tmp();
    await colourTree(root);
    const files = (await tree(root)).map((f) => join(root, f));
    const when = new Date('2024-01-02T03:04:05Z');
    for (const f of files) await utimes(f, when, when);
    const cacheDir = await tmp();
    const first = await loadDataset(`folder:${root}`, { cacheDir });
    expect(first.source).toMatch(/decoded 10 images/);
    expect((await loadDataset(`folder,size=6x8,channels=3:${root}`, { cacheDir })).source).toMatch(/decoded 10 images/);
    // Same sizes and mtimes, garbage content: only a load that never decodes can still succeed.
    for (const f of files) {
      await writeFile(f, Buffer.alloc((await stat(f)).size, 0x55));
      await utimes(f, when, when);
    }
    const second = await loadDataset(`folder:${root}`, { cacheDir });
    expect(second.source).toMatch(/cached in/);
    expect(Buffer.compare(second.train.images, first.train.images)).toBe(0);
    expect(Array.from(second.test.labels)).toEqual(Array.from(first.test.labels));
    expect([second.train.rows, second.train.cols, second.train.channels]).toEqual([6, 8, 3]);
    // Options are keyed canonically: another order, or a default spelled out, is the same cache.
    expect((await loadDataset(`folder,fit=resize,channels=3,size=6x8:${root}`, { cacheDir })).source).toMatch(/cached in/);
    await expect(loadDataset(`folder,channels=1:${root}`, { cacheDir })).rejects.toMatchObject({ code: 'DATA_ERR_BAD_IMAGE' });
    await expect(loadDataset(`folder,skip-bad:${root}`, { cacheDir })).rejects.toMatchObject({ code: 'DATA_ERR_BAD_IMAGE' });
    await utimes(files[0]!, when, new Date('2024-01-02T03:04:06Z'));
    await expect(loadDataset(`folder:${root}`, { cacheDir })).rejects.toMatchObject({ code: 'DATA_ERR_BAD_IMAGE' });
    // One cache entry per key, each written whole: no temporary directory left behind.
    const entries = await readdir(join(cacheDir, 'folder'));
    expect(entries).toHaveLength(2);
    expect((await tree(join(cacheDir, 'folder', entries[0]!))).sort()).toEqual(['complete', 'test-images.bin', 'test-labels.bin', 'train-images.bin', 'train-labels.bin']);
  });

  it('loads (uncached) when the cache cannot be written, and re-decodes a damaged cache', async () => {
    const root = await tmp();
    await colourTree(root);
    const cacheDir = await tmp();
    await writeFile(join(cacheDir, 'folder'), 'a file where the cache directory would go');
    expect((await loadDataset(`folder:${root}`, { cacheDir })).train.count).toBe(6);
    await rm(join(cacheDir, 'folder'));
    const first = await loadDataset(`folder:${root}`, { cacheDir });
    const [entry] = await readdir(join(cacheDir, 'folder'));
    await writeFile(join(cacheDir, 'folder', entry!, 'train-images.bin'), 'short');
    const again = await loadDataset(`folder:${root}`, { cacheDir });
    expect(again.source).toMatch(/decoded/);
    expect(Buffer.compare(again.train.images, first.train.images)).toBe(0);
  });

  it('refuses GIF/BMP/WEBP naming the formats it reads, absurd sizes from the header, and trees without classes', async () => {
    const root = await tmp();
    await colourTree(root);
    const gif = join(root, 'train', 'cat', 'anim.gif');
    await writeFile(gif, 'GIF89a');
    await expect(loadDataset(`folder:${root}`, { cacheDir: await tmp() })).rejects.toMatchObject({
      code: 'DATA_ERR_IMAGE_FORMAT',
      message: expect.stringContaining('only PNG and JPEG'),
      details: { file: gif },
    });
    await rm(gif);
    // A GIF named .png is found by its signature.
    await writeFile(join(root, 'test', 'dog', 'fake.png'), 'GIF89a\x01\x00\x01\x00');
    await expect(loadDataset(`folder,skip-bad:${root}`, { cacheDir: await tmp() })).rejects.toMatchObject({ code: 'DATA_ERR_IMAGE_FORMAT' });
    await rm(join(root, 'test', 'dog', 'fake.png'));
    // A header announcing 20000×20000 is refused before any decoding (the rest of the file is junk).
    const huge = Buffer.from(PNG.sync.write(new PNG({ width: 1, height: 1 })));
    huge.writeUInt32BE(20_000, 16);
    huge.writeUInt32BE(20_000, 20);
    const hugeFile = join(root, 'train', 'dog', 'huge.png');
    await writeFile(hugeFile, huge);
    await expect(loadDataset(`folder:${root}`, { cacheDir: await tmp() })).rejects.toMatchObject({ code: 'DATA_ERR_BAD_IMAGE', message: expect.stringMatching(/more than \d+ pixels/), details: expect.objectContaining({ file: hugeFile }) });
    await rm(hugeFile);
    await expect(loadDataset(`folder:${root}`, { cacheDir: await tmp(), folder: { maxImagePixels: 47 } })).rejects.toMatchObject({ code: 'DATA_ERR_BAD_IMAGE' });
    await expect(loadDataset(`folder,size=100x100:${root}`, { cacheDir: await tmp(), folder: { maxImagePixels: 9999 } })).rejects.toMatchObject({ code: 'DATA_ERR_BAD_SPEC' });
    await expect(loadDataset(`folder:${root}`, { cacheDir: await tmp(), folder: { maxBytes: 1000 } })).rejects.toMatchObject({ code: 'DATA_ERR_TOO_LARGE' });
    await expect(loadDataset(`folder:${root}`, { cacheDir: await tmp(), folder: { maxImageFileBytes: 10 } })).rejects.toMatchObject({ code: 'DATA_ERR_BAD_IMAGE' });
    await expect(loadDataset(`folder:${root}`, { folder: { maxBytes: 0 } })).rejects.toMatchObject({ code: 'DATA_ERR_BAD_SPEC' });
    const flat = await tmp();
    await expect(loadDataset(`folder:${flat}`)).rejects.toMatchObject({ code: 'DATA_ERR_BAD_SPEC' });
    await expect(loadDataset(`folder:${join(flat, 'missing')}`)).rejects.toMatchObject({ code: 'DATA_ERR_NOT_FOUND' });
    await expect(loadDataset(`folder:${root}?size=32x32`)).rejects.toMatchObject({ code: 'DATA_ERR_NOT_FOUND', message: expect.stringContaining('options go before the colon') });
  });
});
