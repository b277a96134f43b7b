import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { PNG } from 'pngjs';
import { createRng, shuffleInPlace } from '@dtrain/common';
import { DataError } from './data-error';
import type { Dataset } from './dataset';
import { pathExists } from './path-exists';
import { lumaAt, pngSize } from './png-luma';

/** Images are brought to the models' input: MNIST-class 28×28 grayscale. */
export const FOLDER_IMAGE_SIZE = 28;
/** Without train/ and test/, this share of each class goes to test (seeded, stratified). */
export const FOLDER_TEST_FRACTION = 0.2;
export const FOLDER_SPLIT_SEED = 0xf01de5;
/** Pixels one image may have before it is decoded (read from its header): 16 MP. */
export const MAX_FOLDER_IMAGE_PIXELS = 4096 * 4096;
const IMAGE_FILE = /\.png$/i;
const CACHE_VERSION = 1;

interface Sample {
  file: string;
  label: number;
}

async function subdirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

async function listClass(dir: string, label: number): Promise<Sample[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const out: Sample[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.isFile() && IMAGE_FILE.test(e.name)) out.push({ file: join(dir, e.name), label });
    else if (e.isFile() && /\.(jpe?g|gif|bmp|webp)$/i.test(e.name))
      throw new DataError('DATA_ERR_BAD_IMAGE', `${join(dir, e.name)}: only PNG images are read (convert it, e.g. with ImageMagick)`, { file: join(dir, e.name) });
  }
  return out;
}

/**
 * Decodes one PNG into 28×28 grayscale bytes (luma of RGB, alpha over white, box-filtered when
 * larger, bilinear when smaller). A file that is not a readable PNG is a coded error naming it.
 */
export function decodeImage(bytes: Buffer, file: string, out: Uint8Array, maxPixels = MAX_FOLDER_IMAGE_PIXELS): void {
  const size = pngSize(bytes);
  if (size && size.width * size.height > maxPixels)
    throw new DataError('DATA_ERR_BAD_IMAGE', `${file} is ${size.width}×${size.height}: more than ${maxPixels} pixels`, { file, ...size });
  let png: PNG;
  try {
    png = PNG.sync.read(bytes);
  } catch (err) {
    throw new DataError('DATA_ERR_BAD_IMAGE', `${file} is not a readable PNG: ${(err as Error).message}`, { file }, { cause: err });
  }
  const { width, height, data } = png;
  if (width < 1 || height < 1) throw new DataError('DATA_ERR_BAD_IMAGE', `${file} is empty`, { file });
  const S = FOLDER_IMAGE_SIZE;
  for (let r = 0; r < S; r++) {
    const y0 = Math.floor((r * height) / S);
    const y1 = Math.max(y0 + 1, Math.floor(((r + 1) * height) / S));
    for (let c = 0; c < S; c++) {
      const x0 = Math.floor((c * width) / S);
      const x1 = Math.max(x0 + 1, Math.floor(((c + 1) * width) / S));
      let sum = 0;
      let n = 0;
      for (let y = y0; y < Math.min(y1, height); y++)
        for (let x = x0; x < Math.min(x1, width); x++) {
          sum += lumaAt(data, y * width + x);
          n++;
        }
      out[r * S + c] = Math.round(sum / Math.max(1, n));
    }
  }
}

function toDataset(name: string, images: Uint8Array, labels: Uint8Array, classNames: string[]): Dataset {
  return { name, images, labels, count: labels.length, rows: FOLDER_IMAGE_SIZE, cols: FOLDER_IMAGE_SIZE, numClasses: classNames.length, classNames };
}

async function decodeAll(samples: Sample[], name: string, classNames: string[]): Promise<Dataset> {
  const px = FOLDER_IMAGE_SIZE * FOLDER_IMAGE_SIZE;
  const images = new Uint8Array(samples.length * px);
  const labels = new Uint8Array(samples.length);
  for (const [i, s] of samples.entries()) {
    decodeImage(await readFile(s.file), s.file, images.subarray(i * px, (i + 1) * px));
    labels[i] = s.label;
  }
  return toDataset(name, images, labels, classNames);
}

/** A key over every file's path, size and modification time: the cache is rebuilt when any changes. */
async function cacheKey(root: string, samples: Sample[][]): Promise<string> {
  const h = createHash('sha256').update(`v${CACHE_VERSION}\0${root}\0`);
  for (const split of samples) {
    h.update('\0split\0');
    for (const s of split) {
      const st = await stat(s.file);
      h.update(`${relative(root, s.file)}\0${st.size}\0${st.mtimeMs}\0${s.label}\n`);
    }
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * The ImageFolder convention: DIR/train/<class>/*.png and DIR/test/<class>/*.png, or DIR/<class>/*.png
 * split per class by a seeded 80/20. Class names are the directory names (sorted), kept for
 * reports. Decoded once into `cacheDir` (28×28 grayscale bytes); later runs read the cache.
 */
export async function loadImageFolder(root: string, cacheDir: string): Promise<{ train: Dataset; test: Dataset; source: string }> {
  if (!(await pathExists(root))) throw new DataError('DATA_ERR_NOT_FOUND', `no directory ${root}`, { dir: root });
  const top = await subdirs(root);
  const presplit = top.includes('train') && top.includes('test');
  const classNames = presplit ? [...new Set([...(await subdirs(join(root, 'train'))), ...(await subdirs(join(root, 'test')))])].sort() : top;
  if (classNames.length < 2) throw new DataError('DATA_ERR_BAD_SPEC', `${root}: expected at least two class directories (DIR/<class>/*.png or DIR/train/<class>/…)`, { dir: root });
  if (classNames.length > 256) throw new DataError('DATA_ERR_BAD_SPEC', `${root}: ${classNames.length} classes, at most 256`, { dir: root });
  let train: Sample[] = [];
  let test: Sample[] = [];
  if (presplit) {
    for (const [label, c] of classNames.entries()) {
      if (await pathExists(join(root, 'train', c))) train.push(...(await listClass(join(root, 'train', c), label)));
      if (await pathExists(join(root, 'test', c))) test.push(...(await listClass(join(root, 'test', c), label)));
    }
  } else {
    const rng = createRng(FOLDER_SPLIT_SEED);
    for (const [label, c] of classNames.entries()) {
      const all = await listClass(join(root, c), label);
      shuffleInPlace(all, rng);
      const nTest = Math.round(all.length * FOLDER_TEST_FRACTION);
      test.push(...all.slice(0, nTest));
      train.push(...all.slice(nTest));
    }
    const order = createRng(FOLDER_SPLIT_SEED + 1);
    train = shuffleInPlace(train, order);
    test = shuffleInPlace(test, order);
  }
  if (train.length === 0 || test.length === 0) throw new DataError('DATA_ERR_BAD_SPEC', `${root}: no PNG images in ${train.length === 0 ? 'train' : 'test'}`, { dir: root });
  const key = await cacheKey(root, [train, test]);
  const dir = join(cacheDir, 'folder', key);
  const name = `folder:${root}`;
  const read = async (split: string): Promise<{ images: Uint8Array; labels: Uint8Array }> => ({
    images: new Uint8Array(await readFile(join(dir, `${split}-images.bin`))),
    labels: new Uint8Array(await readFile(join(dir, `${split}-labels.bin`))),
  });
  if (await pathExists(join(dir, 'complete'))) {
    const [tr, te] = await Promise.all([read('train'), read('test')]);
    return { train: toDataset(`${name}/train`, tr.images, tr.labels, classNames), test: toDataset(`${name}/test`, te.images, te.labels, classNames), source: `${name} (cached in ${dir})` };
  }
  const [trainSet, testSet] = [await decodeAll(train, `${name}/train`, classNames), await decodeAll(test, `${name}/test`, classNames)];
  // Written to a temporary directory and renamed: a second run never reads a half-written cache.
  const tmp = `${dir}.${process.pid}.tmp`;
  try {
    await mkdir(tmp, { recursive: true });
    for (const [split, ds] of [['train', trainSet], ['test', testSet]] as const) {
      await writeFile(join(tmp, `${split}-images.bin`), ds.images);
      await writeFile(join(tmp, `${split}-labels.bin`), ds.labels);
    }
    await writeFile(join(tmp, 'complete'), JSON.stringify({ root, classNames, train: trainSet.count, test: testSet.count }) + '\n');
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  } catch {
    // A cache that cannot be written (read-only home) only costs the next run a decode.
    await rm(tmp, { recursive: true, force: true });
  }
  return { train: trainSet, test: testSet, source: `${name} (decoded ${trainSet.count + testSet.count} images)` };
}
