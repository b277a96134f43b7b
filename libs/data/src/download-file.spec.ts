import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@dtrain/common/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { downloadFile } from './download-file';
import type { DownloadProgress } from './download-file';
import { serveFiles } from './testing';
import type { FileServer } from './testing';

const body = new Uint8Array(randomBytes(200_000));
const sha256 = createHash('sha256').update(body).digest('hex');
const md5 = createHash('md5').update(body).digest('hex');

let dir: string;
let server: FileServer;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dtrain-dl-'));
  server = await serveFiles({
    'ok.bin': body,
    'fail.bin': (_req, res) => res.writeHead(500).end('boom'),
    'dies.bin': (_req, res) => {
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, 50_000), () => res.socket?.destroy());
    },
    'chunked.bin': (_req, res) => {
      res.writeHead(200);
      res.end(body);
    },
    'stalls.bin': (_req, res) => {
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, 1000)); // …and never more
    },
  });
});
afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const dest = (): string => join(dir, 'sub', 'file.bin');
const listing = async (): Promise<string[]> => readdir(join(dir, 'sub')).catch(() => []);

describe('downloadFile', () => {
  it('streams to dest, reports progress and returns digests', async () => {
    const seen: DownloadProgress[] = [];
    const r = await downloadFile(`${server.url}ok.bin`, dest(), { sha256, md5, onProgress: (p) => seen.push(p) });
    expect(r).toEqual({ sha256, md5, bytes: body.length });
    expect(Buffer.compare(await readFile(dest()), body)).toBe(0);
    expect(await listing()).toEqual(['file.bin']);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.at(-1)).toEqual({ url: `${server.url}ok.bin`, file: 'file.bin', receivedBytes: body.length, totalBytes: body.length });
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.receivedBytes).toBeGreaterThan(seen[i - 1]!.receivedBytes);
  });

  it('works without Content-Length (totalBytes undefined)', async () => {
    const seen: DownloadProgress[] = [];
    await downloadFile(`${server.url}chunked.bin`, dest(), { sha256, onProgress: (p) => seen.push(p) });
    expect(seen.at(-1)?.totalBytes).toBeUndefined();
    expect(await listing()).toEqual(['file.bin']);
  });

  it.each([
    { name: 'HTTP 500', path: 'fail.bin', opts: {}, code: 'DATA_ERR_DOWNLOAD' },
    { name: 'HTTP 404', path: 'missing.bin', opts: {}, code: 'DATA_ERR_DOWNLOAD' },
    { name: 'server dies mid-body', path: 'dies.bin', opts: {}, code: 'DATA_ERR_DOWNLOAD' },
    { name: 'wrong sha256', path: 'ok.bin', opts: { sha256: '0'.repeat(64) }, code: 'DATA_ERR_CHECKSUM' },
    { name: 'wrong md5', path: 'ok.bin', opts: { md5: '0'.repeat(32) }, code: 'DATA_ERR_CHECKSUM' },
    { name: 'Content-Length over maxBytes', path: 'ok.bin', opts: { maxBytes: body.length - 1 }, code: 'DATA_ERR_DOWNLOAD' },
    { name: 'chunked body over maxBytes', path: 'chunked.bin', opts: { maxBytes: body.length - 1 }, code: 'DATA_ERR_DOWNLOAD' },
  ])('$name → $code and no file left behind', async ({ path, opts, code }) => {
    await expect(downloadFile(`${server.url}${path}`, dest(), opts)).rejects.toMatchObject({ code });
    expect(await listing()).toEqual([]);
  });

  it('accepts a body of exactly maxBytes', async () => {
    await downloadFile(`${server.url}chunked.bin`, dest(), { maxBytes: body.length });
    expect(await listing()).toEqual(['file.bin']);
  });

  it('aborts a stalled body after timeoutMs of silence (injected clock)', async () => {
    const clock = new ManualClock();
    const p = downloadFile(`${server.url}stalls.bin`, dest(), {
      clock,
      timeoutMs: 5000,
      onProgress: () => queueMicrotask(() => clock.advance(5000)),
    });
    await expect(p).rejects.toMatchObject({ code: 'DATA_ERR_DOWNLOAD', details: { timeoutMs: 5000 } });
    expect(await listing()).toEqual([]);
    expect(clock.timerCount).toBe(0);
  });

  it('reports a refused connection as DATA_ERR_DOWNLOAD', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise((r) => probe.close(r));
    await expect(downloadFile(`http://127.0.0.1:${port}/x`, dest())).rejects.toMatchObject({ code: 'DATA_ERR_DOWNLOAD' });
    expect(await listing()).toEqual([]);
  });

  it('wraps a throwing fetchImpl', async () => {
    const fetchImpl = (() => Promise.reject(new TypeError('offline'))) as unknown as typeof fetch;
    await expect(downloadFile('https://example.invalid/x', dest(), { fetchImpl })).rejects.toMatchObject({ code: 'DATA_ERR_DOWNLOAD' });
  });
});
