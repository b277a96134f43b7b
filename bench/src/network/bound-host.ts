/**
 * A worker's host for the network bench: the same `ws` client the real worker process uses (no
 * per-message deflate, an all-zero mask key, the token in the upgrade's Authorization header), with
 * one addition: the socket binds the worker's own address, so a source-address rule in the worker
 * namespace sends its traffic out of its own shaped veth (see topology.ts). It also notes when each
 * frame arrived, which the synthetic compute counts its wait from.
 */
import { hostname } from 'node:os';
import WebSocket from 'ws';
import { processCpuMs } from '@dtrain/common';
import { bearerHeader } from '@dtrain/protocol';
import type { HostStats, SocketEvents, WorkerHost, WorkerSocket } from '@dtrain/worker-runtime';

/** When the latest frame reached this worker (performance.now()), written by the host, read by the compute. */
export interface FrameClock {
  lastFrameAt: number | undefined;
}

const zeroMask = (mask: Buffer): void => {
  mask.fill(0);
};

export function boundHost(localAddress: string, frames: FrameClock): WorkerHost {
  return {
    pid: process.pid,
    host: `${hostname().slice(0, 40)}/${localAddress}`,
    stats(): HostStats {
      return { rssBytes: process.memoryUsage.rss(), peakRssBytes: process.resourceUsage().maxRSS * 1024, cpuMs: processCpuMs() };
    },
    openSocket(url: string, token: string | undefined, maxFrameBytes: number, events: SocketEvents): WorkerSocket {
      const headers = token !== undefined ? { authorization: bearerHeader(token) } : undefined;
      const ws = new WebSocket(url, { maxPayload: maxFrameBytes, perMessageDeflate: false, generateMask: zeroMask, localAddress, ...(headers ? { headers } : {}) });
      ws.binaryType = 'nodebuffer';
      ws.on('open', () => events.open());
      ws.on('message', (raw: Buffer) => {
        frames.lastFrameAt = performance.now();
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
