import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createRng, shuffleInPlace } from '@dtrain/common';
import { FOLDER_SPLIT_SEED, FOLDER_TEST_FRACTION } from './constants';
import { DataError } from './data-error';
import { IMAGE_EXTENSIONS, READ_IMAGE_FORMATS, REFUSED_EXTENSIONS } from './image-format';
import { pathExists } from './path-exists';

export interface FolderSample {
  file: string;
  label: number;
}

export interface FolderListing {
  /** Class directory names, sorted: label i is classNames[i]. */
  classNames: string[];
  train: FolderSample[];
  test: FolderSample[];
  /** True when the tree had train/ and test/ of its own (no split was drawn). */
  presplit: boolean;
}

/** Labels are bytes (Dataset.labels). */
const MAX_CLASSES = 256;

async function subdirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

/**
 * The images of one class directory, sorted by name. Other files (.txt, .DS_Store) are ignored, but
 * images in a format that is not read are refused: ignoring them would quietly shrink a class.
 */
async function listClass(dir: string, label: number): Promise<FolderSample[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const out: FolderSample[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!e.isFile()) continue;
    const file = join(dir, e.name);
    if (IMAGE_EXTENSIONS.test(e.name)) out.push({ file, label });
    else if (REFUSED_EXTENSIONS.test(e.name))
      throw new DataError('DATA_ERR_IMAGE_FORMAT', `${file}: only ${READ_IMAGE_FORMATS} images are read (convert it, e.g. with ImageMagick: mogrify -format png FILE)`, { file });
  }
  return out;
}

/**
 * The ImageFolder convention: DIR/train/<class>/* and DIR/test/<class>/*, or DIR/<class>/* split per
 * class by a seeded shuffle (FOLDER_TEST_FRACTION to test, seed FOLDER_SPLIT_SEED), both splits then
 * shuffled so they are not ordered by class. The same tree gives the same samples in every process.
 */
export async function listFolder(root: string): Promise<FolderListing> {
  if (!(await pathExists(root))) throw new DataError('DATA_ERR_NOT_FOUND', `no directory ${root}${optionsHint(root)}`, { dir: root });
  const top = await subdirs(root);
  const presplit = top.includes('train') && top.includes('test');
  const classNames = presplit ? [...new Set([...(await subdirs(join(root, 'train'))), ...(await subdirs(join(root, 'test')))])].sort() : top;
  if (classNames.length < 2) throw new DataError('DATA_ERR_BAD_SPEC', `${root}: expected at least two class directories (DIR/<class>/*.png or DIR/train/<class>/…)`, { dir: root });
  if (classNames.length > MAX_CLASSES) throw new DataError('DATA_ERR_BAD_SPEC', `${root}: ${classNames.length} classes, at most ${MAX_CLASSES}`, { dir: root });
  let train: FolderSample[] = [];
  let test: FolderSample[] = [];
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
  if (train.length === 0 || test.length === 0) throw new DataError('DATA_ERR_BAD_SPEC', `${root}: no ${READ_IMAGE_FORMATS} images in ${train.length === 0 ? 'train' : 'test'}`, { dir: root });
  return { classNames, train, test, presplit };
}

/** A missing directory that looks like options written after it (the query-string habit) gets a pointer to the syntax. */
function optionsHint(root: string): string {
  return /[?&,](size|channels|fit|skip-bad)\b/.test(root) ? ' (options go before the colon: folder,size=32x32:DIR)' : '';
}
