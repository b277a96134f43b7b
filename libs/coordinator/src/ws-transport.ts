import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { RawData, WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import type { Peer } from './member';

export interface TransportHandlers {
  connect(peer: Peer): void;
  frame(peer: Peer, bytes: Uint8Array): void;
  disconnect(peer: Peer): void;
  /** ws refused a frame itself (oversized, bad opcode, text frame boundary); it closes the socket. */
  transportError?(peer: Peer, code: 'PROTO_ERR_FRAME_TOO_LARGE' | 'PROTO_ERR_MALFORMED', message: string): void;
}

export interface TransportOptions {
  host: string;
  port: number;
  maxFrameBytes: number;
  tls: { certPath: string; keyPath: string } | undefined;
  /** Plain HTTP requests on the same port (health, metrics). Return false to answer 404. */
  http?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export interface ListeningTransport {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

/**
 * WebSocket transport: binary frames only, no compression (tensors do not deflate and it costs
 * CPU), `maxPayload` enforced by ws before a byte of an oversized frame is buffered.
 */
export async function listen(opts: TransportOptions, handlers: TransportHandlers): Promise<ListeningTransport> {
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (opts.http?.(req, res)) return;
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  };
  const server: HttpServer = opts.tls
    ? createHttpsServer({ cert: readFileSync(opts.tls.certPath), key: readFileSync(opts.tls.keyPath) }, onRequest)
    : createHttpServer(onRequest);
  const wss = new WebSocketServer({ server, maxPayload: opts.maxFrameBytes, perMessageDeflate: false });
  let nextId = 1;
  const sockets = new Set<WebSocket>();
  wss.on('connection', (ws, req) => {
    sockets.add(ws);
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    const peer: Peer = {
      id: nextId++,
      remote,
      send: (frame) => {
        if (ws.readyState === ws.OPEN) ws.send(frame, { binary: true });
      },
      close: (code, reason) => {
        if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason.slice(0, 120));
        // A peer that ignores the close handshake is cut off.
        setTimeout(() => ws.terminate(), 2_000).unref();
      },
    };
    handlers.connect(peer);
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return handlers.frame(peer, new Uint8Array(0));
      handlers.frame(peer, toBytes(data));
    });
    ws.on('close', () => {
      sockets.delete(ws);
      handlers.disconnect(peer);
    });
    // Oversized frames and protocol violations surface here; ws has already sent its close (1009/1002).
    ws.on('error', (err: Error & { code?: string }) => {
      const tooBig = err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
      handlers.transportError?.(peer, tooBig ? 'PROTO_ERR_FRAME_TOO_LARGE' : 'PROTO_ERR_MALFORMED', `${err.code ?? 'ws error'}: ${err.message}`);
      // Not terminate() at once: that would drop the close frame (the peer would see 1006, not 1009).
      setTimeout(() => ws.terminate(), 2_000).unref();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
  return {
    port,
    url: `${opts.tls ? 'wss' : 'ws'}://${hostForUrl}:${port}`,
    async close() {
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
