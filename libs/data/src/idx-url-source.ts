import { join } from 'node:path';
import { checksumFromHex } from './checksum';
import type { ExpectedChecksum } from './checksum';
import { GZIP_SUFFIX, IDX_FILES } from './constants';
import { DataError } from './data-error';
import type { Dataset } from './dataset';
import type { DownloadOptions } from './download-file';
import { ensureCachedFile } from './file-cache';
import { IDX_ROLES, loadIdxFiles } from './idx-files';
import type { IdxPaths } from './idx-files';

export interface UrlSourceOptions extends Omit<DownloadOptions, 'sha256' | 'md5'> {
  /** Expected digests by file name ('train-images-idx3-ubyte.gz' → 32-hex MD5 or 64-hex SHA-256). */
  checksums?: Readonly<Record<string, string>>;
}

export interface UrlSourceResult {
  train: Dataset;
  test: Dataset;
  /** How many of the four files had to be downloaded (0 = everything came from the cache). */
  downloaded: number;
}

/** Checks that `base` is an absolute http(s) URL and returns it with a trailing slash. */
export function normaliseBaseUrl(base: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch (err) {
    throw new DataError('DATA_ERR_BAD_SPEC', `'${base}' is not a URL`, { base }, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DataError('DATA_ERR_BAD_SPEC', `'${base}' must be http or https`, { base });
  }
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

/** Fetches the four standard .gz files under `base` into `dir` (reusing cached ones) and parses them. */
export async function loadIdxFromUrl(
  base: string,
  dir: string,
  name: string,
  classNames: readonly string[] | undefined,
  opts: UrlSourceOptions = {},
): Promise<UrlSourceResult> {
  const root = normaliseBaseUrl(base);
  const { checksums = {}, ...download } = opts;
  const paths: Partial<IdxPaths> = {};
  let downloaded = 0;
  for (const role of IDX_ROLES) {
    const file = IDX_FILES[role] + GZIP_SUFFIX;
    const hex = checksums[file];
    const expected: ExpectedChecksum = hex === undefined ? {} : checksumFromHex(hex, file);
    const got = await ensureCachedFile(new URL(file, root).href, join(dir, file), { ...download, ...expected });
    if (!got.cached) downloaded++;
    paths[role] = got.path;
  }
  const { train, test } = await loadIdxFiles(paths as IdxPaths, name, classNames);
  return { train, test, downloaded };
}
