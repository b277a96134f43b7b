import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Clock, TimerHandle } from '@dtrain/common';
import { systemClock } from '@dtrain/common';
import { DigestStream, verifyDigests } from './checksum';
import type { Digests, ExpectedChecksum } from './checksum';
import { DEFAULT_DOWNLOAD_IDLE_TIMEOUT_MS, DEFAULT_MAX_DOWNLOAD_BYTES, PARTIAL_MARKER, PARTIAL_SUFFIX_BYTES } from './constants';
import { DataError } from './data-error';

export interface DownloadProgress {
  url: string;
  file: string;
  receivedBytes: number;
  /** From Content-Length; undefined when the server does not say. */
  totalBytes: number | undefined;
}

export interface DownloadOptions extends ExpectedChecksum {
  onProgress?: (p: DownloadProgress) => void;
  fetchImpl?: typeof fetch;
  /** Refuse (and abort) bodies larger than this. Default DEFAULT_MAX_DOWNLOAD_BYTES. */
  maxBytes?: number;
  /** Abort when no bytes arrive for this long (idle, not total, so big files on slow links still finish). */
  timeoutMs?: number;
  clock?: Clock;
}

export interface DownloadResult extends Digests {
  bytes: number;
}

/**
 * Streams `url` into `<dest>.partial-<random>`, checks size and checksums, fsyncs and renames onto
 * `dest`, so `dest` either does not exist or is complete and verified, also with concurrent downloaders.
 * On any failure the partial file is removed and DATA_ERR_DOWNLOAD / DATA_ERR_CHECKSUM is thrown.
 */
export async function downloadFile(url: string, dest: string, opts: DownloadOptions = {}): Promise<DownloadResult> {
  const fetchImpl = opts.fetchImpl ?? fetch;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_DOWNLOAD_IDLE_TIMEOUT_MS;
  const clock = opts.clock ?? systemClock();
  const file = basename(dest);
  const partial = `${dest}${PARTIAL_MARKER}${randomBytes(PARTIAL_SUFFIX_BYTES).toString('hex')}`;
  const fail = (message: string, details?: Record<string, unknown>, cause?: unknown): DataError =>
    new DataError('DATA_ERR_DOWNLOAD', `${url}: ${message}`, { url, ...details }, cause === undefined ? undefined : { cause });

  const abort = new AbortController();
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let timedOut = false;
  let timer: TimerHandle | undefined;
  const armIdleTimer = (): void => {
    if (timer) clock.clearTimeout(timer);
    timer = clock.setTimeout(() => {
      timedOut = true;
      abort.abort();
      // Cancelling resolves a pending read even if a custom fetchImpl ignores the signal.
      reader?.cancel().catch(() => undefined);
    }, timeoutMs);
  };

  let fh: FileHandle | undefined;
  try {
    await mkdir(dirname(dest), { recursive: true });
    armIdleTimer();
    let res: Response;
    try {
      // identity: Content-Length must describe the bytes we store and checksum.
      res = await fetchImpl(url, { signal: abort.signal, headers: { 'accept-encoding': 'identity' } });
    } catch (err) {
      throw timedOut ? fail(`no response within ${timeoutMs} ms`, { timeoutMs }, err) : fail(`request failed: ${describe(err)}`, {}, err);
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw fail(`HTTP ${res.status} ${res.statusText}`, { status: res.status });
    }
    const totalBytes = parseLength(res.headers.get('content-length'));
    if (totalBytes !== undefined && totalBytes > maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw fail(`${totalBytes} bytes exceeds the ${maxBytes}-byte limit`, { totalBytes, maxBytes });
    }
    if (!res.body) throw fail('response has no body');

    fh = await open(partial, 'wx');
    const digests = new DigestStream();
    let received = 0;
    reader = res.body.getReader();
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (err) {
        throw timedOut ? fail(`stalled for ${timeoutMs} ms`, { timeoutMs, received }, err) : fail(`body interrupted after ${received} bytes: ${describe(err)}`, { received }, err);
      }
      if (timedOut) throw fail(`stalled for ${timeoutMs} ms`, { timeoutMs, received });
      if (chunk.done) break;
      armIdleTimer();
      received += chunk.value.length;
      if (received > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw fail(`body exceeds the ${maxBytes}-byte limit`, { maxBytes });
      }
      digests.update(chunk.value);
      await fh.write(chunk.value);
      opts.onProgress?.({ url, file, receivedBytes: received, totalBytes });
    }
    if (totalBytes !== undefined && received !== totalBytes) {
      throw fail(`got ${received} of ${totalBytes} bytes`, { received, totalBytes });
    }
    await fh.sync();
    await fh.close();
    fh = undefined;
    const actual = digests.digest();
    verifyDigests(opts, actual, url);
    await rename(partial, dest);
    await syncDir(dirname(dest));
    return { ...actual, bytes: received };
  } catch (err) {
    await fh?.close().catch(() => undefined);
    await unlink(partial).catch(() => undefined);
    if (err instanceof DataError) throw err;
    throw fail(describe(err), {}, err);
  } finally {
    if (timer) clock.clearTimeout(timer);
  }
}

function parseLength(header: string | null): number | undefined {
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header.trim());
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
}

/** Makes the rename itself durable; best effort because some filesystems refuse fsync on directories. */
async function syncDir(dir: string): Promise<void> {
  let h: FileHandle | undefined;
  try {
    h = await open(dir, 'r');
    await h.sync();
  } catch {
    // Durability of the directory entry is an optimisation; the file content itself was fsynced.
  } finally {
    await h?.close().catch(() => undefined);
  }
}
