import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { FOLDER_SPLIT_SEED, FOLDER_TEST_FRACTION, IMAGE_CHANNELS } from './constants';
import type { SkippedImages } from './dataset';
import type { DecodedFolder } from './decode-folder';
import type { FolderLimits } from './folder-limits';
import type { FolderListing } from './folder-samples';
import { formatFolderOptions } from './folder-spec';
import type { FolderOptions } from './folder-spec';

/** Bumped whenever what is cached, or how it is decoded, changes: 2 added size/channels/fit/skip-bad, colour and JPEG. */
const CACHE_VERSION = 2;
const SPLITS = ['train', 'test'] as const;
/** Written last: a directory without it (or whose files disagree with it) is not a cache. */
const MARKER = 'complete';

interface Meta {
  version: number;
  root: string;
  rows: number;
  cols: number;
  channels: number;
  classNames: string[];
  counts: number[];
  skipped: SkippedImages;
}

/**
 * A key over everything the decoded bytes depend on: the root, every option, the limits that decide
 * which images are refused or skipped (not maxBytes: it only decides whether a load happens at
 * all), the split, and every file's path, size and modification time with its label. Any change
 * means a new key, so a stale cache is never read; old keys are simply left behind.
 */
export async function folderCacheKey(root: string, options: FolderOptions, limits: FolderLimits, listing: FolderListing): Promise<string> {
  const h = createHash('sha256').update(`v${CACHE_VERSION}\0${root}\0`);
  const { maxImagePixels, maxImageFileBytes, maxSkippedListed } = limits;
  // The canonical form, so the order options were written in does not change the key.
  const opts = formatFolderOptions(options);
  h.update(JSON.stringify({ opts, maxImagePixels, maxImageFileBytes, maxSkippedListed, FOLDER_TEST_FRACTION, FOLDER_SPLIT_SEED, classNames: listing.classNames }));
  for (const split of [listing.train, listing.test]) {
    h.update('\0split\0');
    for (const s of split) {
      // A file that cannot be stat'ed keys as such; decoding it then fails (or skips) with a coded error naming it.
      const st = await stat(s.file).catch(() => undefined);
      h.update(`${relative(root, s.file)}\0${st?.size ?? '-'}\0${st?.mtimeMs ?? '-'}\0${s.label}\n`);
    }
  }
  return h.digest('hex').slice(0, 16);
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The cached decode in `dir`, or undefined when there is none or it does not match its own record (then it is removed). */
export async function readFolderCache(dir: string, classNames: readonly string[]): Promise<DecodedFolder | undefined> {
  let meta: Partial<Meta>;
  try {
    meta = JSON.parse(await readFile(join(dir, MARKER), 'utf8')) as Partial<Meta>;
  } catch {
    return undefined;
  }
  try {
    const { rows, cols, channels, counts, skipped } = meta;
    const shapeOk = isCount(rows) && rows > 0 && isCount(cols) && cols > 0 && typeof channels === 'number' && IMAGE_CHANNELS.includes(channels);
    const namesOk = Array.isArray(meta.classNames) && meta.classNames.join('\0') === classNames.join('\0');
    if (meta.version !== CACHE_VERSION || !shapeOk || !namesOk || !Array.isArray(counts) || counts.length !== SPLITS.length || !counts.every(isCount) || !skipped) throw new Error('bad record');
    const splits = await Promise.all(
      SPLITS.map(async (split, i) => {
        const images = new Uint8Array(await readFile(join(dir, `${split}-images.bin`)));
        const labels = new Uint8Array(await readFile(join(dir, `${split}-labels.bin`)));
        if (images.length !== counts[i]! * rows * cols * channels || labels.length !== counts[i]) throw new Error(`${split} size`);
        return { images, labels };
      }),
    );
    return { rows, cols, channels: channels as 1 | 3, splits, skipped };
  } catch {
    // Damaged (a disk error, a foreign tool): decode again; the fresh write needs the name free.
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    return undefined;
  }
}

async function writeSynced(path: string, data: Uint8Array | string): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes a decode atomically: everything goes to a uniquely named sibling, synced, the marker last,
 * then one rename makes it visible, so a reader sees a whole cache or none, whatever is interrupted.
 * When another process got there first the rename fails and its (identical) copy stays. A cache
 * that cannot be written (read-only home) only costs the next run a decode: false, no error.
 */
export async function writeFolderCache(dir: string, root: string, decoded: DecodedFolder, classNames: readonly string[]): Promise<boolean> {
  const tmp = `${dir}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(tmp, { recursive: true });
    for (const [i, split] of SPLITS.entries()) {
      await writeSynced(join(tmp, `${split}-images.bin`), decoded.splits[i]!.images);
      await writeSynced(join(tmp, `${split}-labels.bin`), decoded.splits[i]!.labels);
    }
    const meta: Meta = {
      version: CACHE_VERSION,
      root,
      rows: decoded.rows,
      cols: decoded.cols,
      channels: decoded.channels,
      classNames: [...classNames],
      counts: decoded.splits.map((s) => s.labels.length),
      skipped: decoded.skipped,
    };
    await writeSynced(join(tmp, MARKER), `${JSON.stringify(meta)}\n`);
    await rename(tmp, dir);
    return true;
  } catch {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    return false;
  }
}
