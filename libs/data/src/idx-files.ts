import { join } from 'node:path';
import { GZIP_SUFFIX, IDX_FILES } from './constants';
import { DataError } from './data-error';
import type { Dataset } from './dataset';
import { pairImagesLabels } from './pair-images-labels';
import { pathExists } from './path-exists';
import { readIdxFile } from './parse-idx';
import type { ParseIdxOptions } from './parse-idx';

export type IdxFileRole = keyof typeof IDX_FILES;
export type IdxPaths = Record<IdxFileRole, string>;

export const IDX_ROLES = Object.keys(IDX_FILES) as IdxFileRole[];

/** Finds the four standard files in `dir`, each raw or gzipped (raw preferred: no inflate on load). */
export async function findIdxFiles(dir: string): Promise<IdxPaths> {
  const found: Partial<IdxPaths> = {};
  const missing: string[] = [];
  for (const role of IDX_ROLES) {
    const raw = join(dir, IDX_FILES[role]);
    const path = (await pathExists(raw)) ? raw : (await pathExists(raw + GZIP_SUFFIX)) ? raw + GZIP_SUFFIX : undefined;
    if (path === undefined) missing.push(`${IDX_FILES[role]}[${GZIP_SUFFIX}]`);
    else found[role] = path;
  }
  if (missing.length > 0) {
    throw new DataError('DATA_ERR_NOT_FOUND', `${dir}: missing ${missing.join(', ')}`, { dir, missing });
  }
  return found as IdxPaths;
}

/**
 * Reads train and test splits from four IDX files; images files may be N×H×W (grey) or N×H×W×C
 * (C = 1 or 3, HWC). Without `classNames` the classes are named '0'..'n-1'
 * with n = largest label + 1 over both splits.
 */
export async function loadIdxFiles(
  paths: IdxPaths,
  name: string,
  classNames?: readonly string[],
  opts: ParseIdxOptions = {},
): Promise<{ train: Dataset; test: Dataset }> {
  const trainImages = await readIdxFile(paths.trainImages, 'images', opts);
  const trainLabels = await readIdxFile(paths.trainLabels, 'labels', opts);
  const testImages = await readIdxFile(paths.testImages, 'images', opts);
  const testLabels = await readIdxFile(paths.testLabels, 'labels', opts);
  const names = classNames ?? numberedClasses(Math.max(maxOf(trainLabels.data), maxOf(testLabels.data)) + 1);
  const train = pairImagesLabels(trainImages, trainLabels, `${name}/train`, names, paths.trainImages);
  const test = pairImagesLabels(testImages, testLabels, `${name}/test`, names, paths.testImages);
  if (train.rows !== test.rows || train.cols !== test.cols || train.channels !== test.channels) {
    throw new DataError('DATA_ERR_MISMATCH', `${name}: train images are ${train.rows}×${train.cols}×${train.channels}, test ${test.rows}×${test.cols}×${test.channels}`);
  }
  return { train, test };
}

function numberedClasses(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(i));
}

function maxOf(a: Uint8Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) if ((a[i] ?? 0) > m) m = a[i] ?? 0;
  return m;
}
