import { join } from 'node:path';
import { DataError } from './data-error';
import type { Dataset, SkippedImages } from './dataset';
import { decodeFolderImages } from './decode-folder';
import type { DecodedFolder } from './decode-folder';
import { folderCacheKey, readFolderCache, writeFolderCache } from './folder-cache';
import { folderLimits } from './folder-limits';
import type { FolderLimits } from './folder-limits';
import { listFolder } from './folder-samples';
import { formatFolderOptions } from './folder-spec';
import type { FolderOptions } from './folder-spec';

export interface ImageFolderResult {
  train: Dataset;
  test: Dataset;
  source: string;
  /** Present when skip-bad left images out. */
  skipped?: SkippedImages;
}

const DEFAULT_OPTIONS: FolderOptions = { fit: 'resize', skipBad: false };

function toDataset(name: string, d: DecodedFolder, i: number, classNames: string[]): Dataset {
  const { images, labels } = d.splits[i]!;
  return { name, images, labels, count: labels.length, rows: d.rows, cols: d.cols, channels: d.channels, numClasses: classNames.length, classNames };
}

/** ' skipped 2 unreadable: a.png, b.png' (names only: the full paths and reasons are in `skipped`). */
function skippedNote(s: SkippedImages): string {
  if (s.count === 0) return '';
  const names = s.first.map((f) => f.file.split(/[\\/]/).at(-1)).join(', ');
  return `, skipped ${s.count} unreadable${names ? `: ${names}${s.count > s.first.length ? ', …' : ''}` : ''}`;
}

/**
 * A `folder:` dataset: class directories of PNG and JPEG images (listFolder has the layout and the
 * split), any size, grey, RGB or RGBA (alpha dropped), brought to one geometry as `options` ask
 * (decodeFolderImages has the defaults). Class names are the directory names. Decoded once into
 * `<cacheDir>/folder/<key>` (folderCacheKey: every option and each file's path, size and mtime);
 * a later run with the same key reads those bytes and does not open a single image. Nothing is
 * cached when the decode fails.
 */
export async function loadImageFolder(root: string, cacheDir: string, options: FolderOptions = DEFAULT_OPTIONS, limits: Partial<FolderLimits> = {}): Promise<ImageFolderResult> {
  const l = folderLimits(limits);
  const listing = await listFolder(root);
  const { classNames } = listing;
  const dir = join(cacheDir, 'folder', await folderCacheKey(root, options, l, listing));
  const opts = formatFolderOptions(options);
  const name = `folder${opts ? `,${opts}` : ''}:${root}`;
  const result = (d: DecodedFolder, how: string): ImageFolderResult => ({
    train: toDataset(`${name}/train`, d, 0, classNames),
    test: toDataset(`${name}/test`, d, 1, classNames),
    source: `${name} (${how} as ${d.rows}x${d.cols}x${d.channels}${skippedNote(d.skipped)})`,
    ...(d.skipped.count > 0 ? { skipped: d.skipped } : {}),
  });
  const cached = await readFolderCache(dir, classNames);
  if (cached) return result(cached, `cached in ${dir}`);
  const decoded = await decodeFolderImages([listing.train, listing.test], options, l);
  for (const [i, split] of (['train', 'test'] as const).entries()) {
    if (decoded.splits[i]!.labels.length === 0) {
      throw new DataError('DATA_ERR_BAD_SPEC', `${root}: no readable images left in ${split} (${decoded.skipped.count} skipped)`, { dir: root, skipped: decoded.skipped.count });
    }
  }
  await writeFolderCache(dir, root, decoded, classNames);
  return result(decoded, `decoded ${listing.train.length + listing.test.length - decoded.skipped.count} images`);
}
