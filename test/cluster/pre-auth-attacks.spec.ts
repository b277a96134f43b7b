import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Cluster, SMALL_RUN, readyz } from './cluster-harness';

// Attacks from clients that hold no token, against a real server process: what they may cost is
// bounded by the pre-auth limits, and the server stays responsive with its state unchanged.

const TOKEN = 'pre-auth-test-token-0123456789';
const PRE_AUTH_BYTES = 64 * 1024;
const PER_ADDRESS = 8;

const rssOf = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024;
const healthz = async (port: number): Promise<number> => (await fetch(`http://127.0.0.1:${port}/healthz`)).status;

/** A WebSocket frame header (binary, masked) announcing `length` payload bytes. */
function frameHeader(length: number): Buffer {
  const h = Buffer.alloc(14);
  h[0] = 0x82;
  h[1] = 0x80 | 127;
  h.writeBigUInt64BE(BigInt(length), 2);
  h.writeUInt32BE(0x01020304, 10);
  return h;
}

const open = (url: string, token?: string): Promise<WebSocket> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });

const closed = (ws: WebSocket): Promise<number> => new Promise((resolve) => ws.once('close', (code) => resolve(code)));

describe('attacks before authentication (real server process)', () => {
  const cluster = new Cluster();
  afterEach(() => cluster.cleanup());

  it('cuts off unjoined connections past the pre-auth budget, caps them per address, and stays within its memory', async () => {
    const s = await cluster.server([
      ...SMALL_RUN, '--workers', '2', '--epochs', '1', '--train-limit', '256', '--token', TOKEN,
      '--pre-auth-bytes', String(PRE_AUTH_BYTES), '--max-unjoined-per-address', String(PER_ADDRESS), '--log-level', 'error',
    ]);
    const pid = s.proc.child.pid!;
    const before = (await readyz(s.port))!;
    const rss0 = rssOf(pid);

    // 0. A wrong bearer token is refused at the upgrade (HTTP 401): no WebSocket, no frame read.
    await expect(open(s.url, 'not-the-token-not-the-token')).rejects.toThrow(/HTTP 401/);
    (await open(s.url, TOKEN)).terminate();

    // 1. Twenty sockets, each announcing a 60 MB frame (under --max-frame-bytes) and sending 1 MB of
    //    it: each is cut off after the budget instead of buffering the frame.
    const big: Promise<number>[] = [];
    for (let round = 0; round < 3; round++) {
      const sockets = await Promise.all(Array.from({ length: PER_ADDRESS }, () => open(s.url)));
      for (const ws of sockets) {
        const raw = (ws as unknown as { _socket: Socket })._socket;
        raw.write(frameHeader(60 * 1024 * 1024));
        for (let i = 0; i < 16; i++) raw.write(Buffer.alloc(64 * 1024, 7));
        big.push(closed(ws));
      }
      await Promise.all(big.slice(-PER_ADDRESS));
    }
    const codes = await Promise.all(big);
    expect(codes.every((c) => c === 1009 || c === 1006)).toBe(true);
    expect(codes.filter((c) => c === 1009).length).toBeGreaterThan(0);

    // 2. One address may hold only PER_ADDRESS connections that have not joined; the next is refused at the upgrade.
    const waiting = await Promise.all(Array.from({ length: PER_ADDRESS }, () => open(s.url)));
    await expect(open(s.url)).rejects.toThrow(/HTTP 503/);
    for (const ws of waiting) ws.terminate();
    await new Promise((r) => setTimeout(r, 300));
    const again = await open(s.url);
    again.terminate();

    // 3. Slowloris: sockets that never finish their HTTP headers do not pile up.
    const slow = Array.from({ length: 50 }, () => {
      const sock = connect(s.port, '127.0.0.1');
      sock.on('error', () => undefined);
      sock.write('GET / HTTP/1.1\r\nHost: x\r\n');
      return new Promise<void>((resolve) => sock.once('close', () => resolve()));
    });
    // The default headers deadline is 10 s, checked every second.
    const t0 = performance.now();
    await Promise.race([Promise.all(slow), new Promise((_, reject) => setTimeout(() => reject(new Error('slow sockets still open after 30 s')), 30_000))]);
    console.info(`slow sockets closed after ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    expect(await healthz(s.port)).toBe(200);
    const after = (await readyz(s.port))!;
    expect(after).toMatchObject({ state: 'waiting', version: before.version, checksum: before.checksum });
    const grew = rssOf(pid) - rss0;
    console.info(`pre-auth attacks: server RSS +${(grew / 1e6).toFixed(1)} MB after 24 partial 60 MB frames, ${PER_ADDRESS + 1} waiting sockets and 50 slow ones`);
    // 24 × 60 MB would be 1.4 GB if buffered; the budget keeps it to noise.
    expect(grew).toBeLessThan(150 * 1024 * 1024);
  }, 120_000);

  it('a worker with a wrong token is refused at the upgrade and stops with WORKER_ERR_REFUSED', async () => {
    const s = await cluster.server([...SMALL_RUN, '--workers', '1', '--epochs', '1', '--train-limit', '128', '--token', TOKEN, '--log-level', 'error']);
    const w = cluster.worker(s.url, 'guesser', [], { DTRAIN_TOKEN: 'a-wrong-token-of-enough-length' });
    const exited = await w.exited;
    expect(exited.code).toBe(1);
    expect(w.stderr.join('\n')).toMatch(/WORKER_ERR_REFUSED.*AUTH_ERR_BAD_TOKEN/);
  }, 60_000);
});
