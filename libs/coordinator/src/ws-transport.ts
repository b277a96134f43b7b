import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { RawData, WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import { CLOSE_CODES, WS_SUBPROTOCOL, tokenFromBearerHeader, tokenFromSubprotocols } from '@dtrain/protocol';
import type { Peer } from './member';

export interface TransportHandlers {
  connect(peer: Peer): void;
  frame(peer: Peer, bytes: Uint8Array): void;
  disconnect(peer: Peer): void;
  /** ws refused a frame itself (oversized, bad opcode, text frame boundary); it closes the socket. */
  transportError?(peer: Peer, code: 'PROTO_ERR_FRAME_TOO_LARGE' | 'PROTO_ERR_MALFORMED', message: string): void;
}

/**
 * What a connection may cost before and after it joins. Before: a few KiB in total (a join is tiny),
 * a bounded number of such connections overall and per address, a deadline for the HTTP upgrade.
 * Always: ws's own caps on fragments, buffered chunks and pending pongs, and a send-buffer bound.
 */
export interface TransportLimits {
  /** Bytes an unjoined connection may send in total (frames and all) before it is cut off. */
  preAuthBytes: number;
  /** Connections that have not joined yet, in all. */
  maxUnjoined: number;
  /** …and from one address. */
  maxUnjoinedPerAddress: number;
  /** The HTTP request (headers, upgrade) must be complete within this. */
  headersTimeoutMs: number;
  /** Fragments of one message (our frames are never fragmented). */
  maxFragments: number;
  /** Data chunks ws may buffer for one message. */
  maxBufferedChunks: number;
  /** Pongs ws may owe a client that does not read (a ping flood). */
  maxPendingPongs: number;
  /** A member whose unsent bytes exceed this is cut off at its next push (see Peer.backlogged). */
  maxSendBufferBytes: number;
}

export const DEFAULT_TRANSPORT_LIMITS: TransportLimits = {
  // A join with a 4 KiB token and capabilities is well under 8 KiB.
  preAuthBytes: 64 * 1024,
  // 512 × 64 KiB = 32 MiB at most before authentication, whatever the clients do.
  maxUnjoined: 512,
  // Local clusters and load tests connect dozens of workers from one address at once.
  maxUnjoinedPerAddress: 64,
  headersTimeoutMs: 10_000,
  maxFragments: 64,
  maxBufferedChunks: 16 * 1024,
  maxPendingPongs: 8,
  // One full weights frame of cnn-large (≈ 27 MB in fp32) with room to spare. An honest worker
  // pushes only after it has read its work (which follows the weights), so at a push its unsent
  // bytes are near zero; 32 MiB keeps a blind pusher's cost under 100 MB of server RSS (measured).
  maxSendBufferBytes: 32 * 1024 * 1024,
};

export interface TransportOptions {
  host: string;
  port: number;
  maxFrameBytes: number;
  limits?: Partial<TransportLimits>;
  tls: { certPath: string; keyPath: string } | undefined;
  /**
   * Checks a bearer token in the upgrade request (`Authorization: Bearer …`, or a browser's bearer
   * subprotocol): a wrong one is refused with HTTP 401 before a WebSocket exists. Requests that
   * present none go on to the join's token.
   */
  authenticate?: (token: string, address: string) => { ok: boolean; holdMs: number };
  /**
   * A connection whose upgrade presented a right token is admitted at once (no pre-auth budget): a
   * shard's coordinator authenticates so, then sends its slice (megabytes) as its first frame.
   */
  admitAuthenticated?: boolean;
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
 * The token an upgrade request presents: `Authorization: Bearer …` (Node clients) or the bearer
 * subprotocol (browsers). `undefined` when it presents none (the join's token decides), `null` when
 * what it presents is malformed (refused like a wrong token).
 */
function upgradeToken(req: IncomingMessage): string | undefined | null {
  const fromHeader = tokenFromBearerHeader(req.headers.authorization);
  return fromHeader !== undefined ? fromHeader : tokenFromSubprotocols(req.headers['sec-websocket-protocol']);
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
  const limits: TransportLimits = { ...DEFAULT_TRANSPORT_LIMITS, ...opts.limits };
  const httpOptions = { headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.headersTimeoutMs + 1_000 };
  const server: HttpServer = opts.tls
    ? createHttpsServer({ cert: readFileSync(opts.tls.certPath), key: readFileSync(opts.tls.keyPath), ...httpOptions }, onRequest)
    : createHttpServer(httpOptions, onRequest);
  // Slow or silent clients lose their socket once the headers deadline passes. Node's own
  // headersTimeout closes a lone slow connection but, measured on Node 20 and 26, none of several
  // concurrent ones (slowloris), so each socket gets its own deadline, cleared by a request or upgrade.
  const deadlines = new WeakMap<object, NodeJS.Timeout>();
  const settle = (socket: object): void => {
    const t = deadlines.get(socket);
    if (t) clearTimeout(t);
    deadlines.delete(socket);
  };
  server.on('connection', (socket) => {
    const t = setTimeout(() => socket.destroy(), limits.headersTimeoutMs);
    t.unref();
    deadlines.set(socket, t);
    socket.once('close', () => settle(socket));
  });
  server.on('request', (req: IncomingMessage) => settle(req.socket));
  server.prependListener('upgrade', (req: IncomingMessage) => settle(req.socket));
  /** Unjoined connections (and held upgrade refusals) per remote address, and in all. */
  const unjoined = new Map<string, number>();
  let unjoinedTotal = 0;
  const holdUnjoined = (ip: string): void => {
    unjoinedTotal++;
    unjoined.set(ip, (unjoined.get(ip) ?? 0) + 1);
  };
  const releaseUnjoined = (ip: string): void => {
    unjoinedTotal--;
    const n = (unjoined.get(ip) ?? 1) - 1;
    if (n > 0) unjoined.set(ip, n);
    else unjoined.delete(ip);
  };
  const address = (req: IncomingMessage): string => req.socket.remoteAddress ?? '?';
  const authenticated = new WeakSet<IncomingMessage>();
  const wss = new WebSocketServer({
    server,
    maxPayload: opts.maxFrameBytes,
    perMessageDeflate: false,
    maxFragments: limits.maxFragments,
    maxBufferedChunks: limits.maxBufferedChunks,
    maxPendingAutoPongs: limits.maxPendingPongs,
    // Refused at the upgrade, before a WebSocket (and its buffers) exists.
    verifyClient: (info, done) => {
      const ip = address(info.req);
      const here = unjoined.get(ip) ?? 0;
      if (unjoinedTotal >= limits.maxUnjoined || here >= limits.maxUnjoinedPerAddress) return done(false, 503, 'too many connections waiting to join');
      const presented = upgradeToken(info.req);
      if (presented === undefined || !opts.authenticate) return done(true);
      const verdict = presented !== null ? opts.authenticate(presented, ip) : { ok: false, holdMs: 0 };
      if (verdict.ok) {
        if (opts.admitAuthenticated) authenticated.add(info.req);
        return done(true);
      }
      if (verdict.holdMs <= 0) return done(false, 401, 'bad token');
      // Repeated failures from this address: the refusal waits, and the wait counts as a connection waiting to join.
      holdUnjoined(ip);
      setTimeout(() => {
        releaseUnjoined(ip);
        done(false, 401, 'bad token');
      }, verdict.holdMs).unref();
    },
    // A browser's token rides in a subprotocol (see upgrade-auth): select ours, never the token's.
    handleProtocols: (offered: Set<string>) => (offered.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
  } as ConstructorParameters<typeof WebSocketServer>[0]);
  let nextId = 1;
  const sockets = new Set<WebSocket>();
  wss.on('connection', (ws, req) => {
    sockets.add(ws);
    const ip = address(req);
    const remote = `${ip}:${req.socket.remotePort ?? '?'}`;
    let received = 0;
    holdUnjoined(ip);
    /** Out of the unjoined count once: when it joins, or when it closes without having joined. */
    let released = false;
    const leaveUnjoined = (): void => {
      if (released) return;
      released = true;
      releaseUnjoined(ip);
    };
    // Counted on the raw socket: a frame that is never finished costs at most preAuthBytes.
    const countPreAuth = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limits.preAuthBytes) {
        req.socket.off('data', countPreAuth);
        // Stop reading at once (TCP backpressure holds the rest at the client), say why, then cut off.
        req.socket.pause();
        // ws may have refused the frame itself already (over maxPayload): that is reported once, there.
        if (ws.readyState === ws.OPEN) {
          handlers.transportError?.(peer, 'PROTO_ERR_FRAME_TOO_LARGE', `more than ${limits.preAuthBytes} bytes before joining`);
          ws.close(CLOSE_CODES.tooBig, 'too much before joining');
        }
        setTimeout(() => ws.terminate(), 2_000).unref();
      }
    };
    req.socket.on('data', countPreAuth);
    const peer: Peer = {
      id: nextId++,
      remote,
      send: (frame) => {
        if (ws.readyState === ws.OPEN) ws.send(frame, { binary: true });
      },
      backlogged: () => ws.bufferedAmount > limits.maxSendBufferBytes,
      admitted: () => {
        req.socket.off('data', countPreAuth);
        leaveUnjoined();
      },
      close: (code, reason) => {
        if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason.slice(0, 120));
        // A peer that ignores the close handshake is cut off.
        setTimeout(() => ws.terminate(), 2_000).unref();
      },
    };
    handlers.connect(peer);
    if (authenticated.has(req)) peer.admitted?.();
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return handlers.frame(peer, new Uint8Array(0));
      handlers.frame(peer, toBytes(data));
    });
    ws.on('close', () => {
      sockets.delete(ws);
      leaveUnjoined();
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
