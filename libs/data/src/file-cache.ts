import { unlink } from 'node:fs/promises';
import { hasChecksum, hashFile, verifyDigests } from './checksum';
import { downloadFile } from './download-file';
import type { DownloadOptions } from './download-file';
import { DataError } from './data-error';
import { pathExists } from './path-exists';

export interface CachedFile {
  path: string;
  /** True when the file was already in the cache (no network used). */
  cached: boolean;
}

/**
 * Returns `dest`, downloading it from `url` only when missing. A cached file is re-hashed against the
 * expected checksum when one is known and re-downloaded if it no longer matches; without a known
 * checksum it is trusted because downloadFile only ever renames complete files into place (and the IDX
 * parser still rejects anything truncated).
 */
export async function ensureCachedFile(url: string, dest: string, opts: DownloadOptions = {}): Promise<CachedFile> {
  if (await pathExists(dest)) {
    if (!hasChecksum(opts)) return { path: dest, cached: true };
    try {
      verifyDigests(opts, await hashFile(dest), dest);
      return { path: dest, cached: true };
    } catch (err) {
      if (!(err instanceof DataError && err.code === 'DATA_ERR_CHECKSUM')) throw err;
      await unlink(dest).catch(() => undefined);
    }
  }
  await downloadFile(url, dest, opts);
  return { path: dest, cached: false };
}
