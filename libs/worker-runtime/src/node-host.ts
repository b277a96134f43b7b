import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import WebSocket from 'ws';
import { processCpuMs } from '@dtrain/common';
import { bearerHeader } from '@dtrain/protocol';
import type { HostStats, SocketEvents, WorkerHost, WorkerSocket } from './worker-host';

/**
 * RFC 6455 client masking exists so a script in a browser cannot make a proxy cache what it sends;
 * a worker process is no browser and its payloads are gradients. An all-zero key makes ws skip the
 * XOR pass over every push here and on the server (two JS passes over ~0.9 MB per step for the model of record).
 */
const zeroMask = (mask: Buffer): void => {
  mask.fill(0);
};

export interface NodeHostOptions {
  caPath: string | undefined;
  insecureTls: boolean;
  /** Bind every socket to this local address (a host with several interfaces; the network bench). */
  localAddress?: string;
  /** Called as each frame arrives, before the worker reads it (the network bench times its compute from it). */
  onFrame?: () => void;
}

/** A worker process: `ws` with the token in the Authorization header, TLS options, process stats. */
export function nodeHost(tls: NodeHostOptions = { caPath: undefined, insecureTls: false }): WorkerHost {
  const local = tls.localAddress !== undefined ? { localAddress: tls.localAddress } : {};
  return {
    pid: process.pid,
    host: (tls.localAddress !== undefined ? `${hostname().slice(0, 40)}/${tls.localAddress}` : hostname()).slice(0, 64),
    stats(): HostStats {
      // maxRSS is in KiB (getrusage).
      return { rssBytes: process.memoryUsage.rss(), peakRssBytes: process.resourceUsage().maxRSS * 1024, cpuMs: processCpuMs() };
    },
    openSocket(url: string, token: string | undefined, maxFrameBytes: number, events: SocketEvents): WorkerSocket {
      const tlsOpts = url.startsWith('wss:') ? { ...(tls.caPath ? { ca: readFileSync(tls.caPath) } : {}), rejectUnauthorized: !tls.insecureTls } : {};
      // The token also goes in the upgrade request, so a server can refuse a wrong one before any frame.
      const headers = token !== undefined ? { authorization: bearerHeader(token) } : undefined;
      const ws = new WebSocket(url, { maxPayload: maxFrameBytes, perMessageDeflate: false, generateMask: zeroMask, ...tlsOpts, ...local, ...(headers ? { headers } : {}) });
      ws.binaryType = 'nodebuffer';
      ws.on('open', () => events.open());
      const onFrame = tls.onFrame;
      ws.on('message', (raw: Buffer) => {
        onFrame?.();
        events.message(raw);
      });
      ws.on('error', (err) => events.error(err.message));
      ws.on('unexpected-response', (_req, res) => {
        events.refused(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('close', (code, reason) => events.close(code, reason.toString()));
      return {
        get open() {
          return ws.readyState === WebSocket.OPEN;
        },
        send: (frame) => ws.send(frame, { binary: true }),
        close: (code, reason) => ws.close(code, reason),
        detach: () => {
          ws.removeAllListeners('close');
          ws.close();
        },
      };
    },
  };
}
