import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock, Logger } from '@dtrain/common';
import { silentLogger, systemClock } from '@dtrain/common';
import type { MonitorUpdate, RunMonitor } from './run-monitor';
import type { SseHubOptions } from './sse-hub';
import { SseHub, sseFrame } from './sse-hub';
import type { AssetMap } from './static-assets';
import { loadAssets } from './static-assets';
import { TelemetryError } from './telemetry-error';
import type { TrainingMetrics } from './training-metrics';

export interface DashboardOptions {
  /** Interface to listen on. */
  host: string;
  /** 0 = any free port (see `RunningDashboard.port`). */
  port: number;
  sse?: Partial<SseHubOptions>;
}

export interface DashboardDeps {
  monitor: RunMonitor;
  /** Served at /metrics too, when given. */
  metrics?: TrainingMetrics;
  clock?: Clock;
  log?: Logger;
}

export interface RunningDashboard extends AsyncDisposable {
  readonly port: number;
  /** http://host:port/ (127.0.0.1 when listening on all interfaces). */
  readonly url: string;
  readonly viewers: number;
  close(): Promise<void>;
}

/** How long close() lets in-flight responses finish before cutting their sockets. */
const CLOSE_GRACE_MS = 1_000;

/** Only our own files and uPlot load; inline style attributes are the confusion heat map's shades. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'";

/**
 * The live dashboard: the page, its scripts, uPlot from node_modules, a JSON snapshot, a
 * server-sent event stream of monitor updates, and /metrics. Read-only: nothing here changes the run.
 */
export async function startDashboard(options: DashboardOptions, deps: DashboardDeps): Promise<RunningDashboard> {
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)
    throw new TelemetryError('TELEMETRY_ERR_BAD_OPTION', `dashboard port must be an integer in 0..65535, got ${options.port}`);
  const log = deps.log ?? silentLogger;
  const assets: AssetMap = await loadAssets();
  const hub = new SseHub(deps.clock ?? systemClock(), options.sse);
  const metricsRoute = deps.metrics?.route();
  const unsubscribe = deps.monitor.subscribe((u: MonitorUpdate) => hub.broadcast(u.type, updatePayload(u)));

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (metricsRoute?.(req, res)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/events') {
      hub.add(res, sseFrame('snapshot', deps.monitor.snapshot()));
      return;
    }
    if (path === '/api/snapshot') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(deps.monitor.snapshot()));
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    const asset = assets.get(path === '/' ? 'index.html' : path.slice(1));
    if (!asset) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, {
      'content-type': asset.contentType,
      'content-length': asset.body.byteLength,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'content-security-policy': CSP,
      'referrer-policy': 'no-referrer',
    });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new TelemetryError('TELEMETRY_ERR_LISTEN', `dashboard cannot listen on ${options.host}:${options.port}: ${err.code ?? err.message}`, { host: options.host, port: options.port }, { cause: err })),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${shownHost}:${port}/`;
  log.debug('dashboard listening', { url });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      unsubscribe();
      hub.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // A viewer still downloading a file gets a moment to finish, then is cut.
        setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref();
      });
    })());
  return {
    port,
    url,
    get viewers() {
      return hub.size;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

function updatePayload(u: MonitorUpdate): unknown {
  switch (u.type) {
    case 'info':
      return u.info;
    case 'steps':
      return u.points;
    case 'epoch':
      return { point: u.point, evaluation: u.evaluation };
    case 'status':
      return { status: u.status, workers: u.workers };
    case 'final':
      return { status: u.status, evaluation: u.evaluation };
  }
}
