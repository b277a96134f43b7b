import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@dtrain/common';
import type { Dataset } from '@dtrain/data';
import { DATASET_TRANSFER_TYPE, encodeDataset } from '@dtrain/data';
import { WORKER_ROUTES, tokenFromBearerHeader } from '@dtrain/protocol';
import { browserWorkerScript } from './worker-bundle';

/**
 * The page's rules: its own script only, connections only back to this server, no framing, no
 * referrer (the token is in the fragment, which browsers never send, and stays out of logs).
 */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

/**
 * The TF.js wasm binaries a tab may fetch (the page sets its wasm path to WORKER_ROUTES.wasm): the
 * SIMD build, and the plain one for browsers without SIMD. The threaded build needs a cross-origin
 * isolated page, which this one is not.
 */
const WASM_BINARIES = ['tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm.wasm'] as const;

export interface WorkerRoutesDeps {
  /** The run's dataset spec and training split (a tab computes on the samples the server hands it). */
  dataset: { spec: string; train: Dataset };
  /** The server's own token check (constant time, with its per-address backoff). */
  authenticate(token: string, address: string): { ok: boolean; holdMs: number };
  log: Logger;
}

/**
 * The browser worker's routes on the server's port: `GET /worker` (the page), `/worker.js` (its
 * program), `/worker/wasm/*.wasm` (TF.js' wasm binaries, from the installed package),
 * `/worker/token` (204 or 401: lets the page tell a wrong token from a server that is down) and
 * `/worker/data/train?spec=` (the training split, for a token holder only).
 */
export function workerRoutes(deps: WorkerRoutesDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  let script: Promise<string> | undefined;
  let page: Buffer | undefined;
  let encoded: Uint8Array | undefined;
  const binaries = new Map<string, Buffer>();
  const authorised = (req: IncomingMessage): { ok: boolean; holdMs: number } => {
    return deps.authenticate(tokenFromBearerHeader(req.headers.authorization) ?? '', req.socket.remoteAddress ?? '?');
  };
  /** Answers 401 (after the backoff's hold, as at the upgrade) and returns false when the token is wrong. */
  const checkToken = (req: IncomingMessage, res: ServerResponse): boolean => {
    const v = authorised(req);
    if (v.ok) return true;
    setTimeout(() => res.writeHead(401, { 'content-type': 'text/plain' }).end('AUTH_ERR_BAD_TOKEN\n'), v.holdMs).unref();
    return false;
  };
  return (req, res) => {
    if (req.method !== 'GET') return false;
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case WORKER_ROUTES.page: {
        try {
          page ??= readFileSync(fileURLToPath(import.meta.resolve('@dtrain/browser-worker/page')));
        } catch (err) {
          deps.log.error('browser worker page missing', { error: String((err as Error)?.message ?? err) });
          res.writeHead(500, { 'content-type': 'text/plain' }).end('the browser worker page is not installed\n');
          return true;
        }
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...PAGE_HEADERS }).end(page);
        return true;
      }
      case WORKER_ROUTES.script:
        script ??= browserWorkerScript();
        script.then(
          (js) => res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', ...PAGE_HEADERS }).end(js),
          (err: unknown) => {
            deps.log.error('browser worker bundle failed', { error: String((err as Error)?.message ?? err) });
            script = undefined;
            res.writeHead(500, { 'content-type': 'text/plain' }).end('the browser worker could not be bundled\n');
          },
        );
        return true;
      case WORKER_ROUTES.token:
        if (checkToken(req, res)) res.writeHead(204).end();
        return true;
      case WORKER_ROUTES.data: {
        if (!checkToken(req, res)) return true;
        if (url.searchParams.get('spec') !== deps.dataset.spec) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end(`this run trains on ${deps.dataset.spec}\n`);
          return true;
        }
        encoded ??= encodeDataset(deps.dataset.train);
        res.writeHead(200, { 'content-type': DATASET_TRANSFER_TYPE, 'content-length': encoded.length, 'cache-control': 'no-store' }).end(encoded);
        return true;
      }
      default: {
        const name = url.pathname.startsWith(`${WORKER_ROUTES.wasm}/`) ? url.pathname.slice(WORKER_ROUTES.wasm.length + 1) : undefined;
        if (name === undefined) return false;
        if (!(WASM_BINARIES as readonly string[]).includes(name)) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('no such file\n');
          return true;
        }
        let bytes = binaries.get(name);
        try {
          bytes ??= readFileSync(join(dirname(fileURLToPath(import.meta.resolve('@tensorflow/tfjs-backend-wasm'))), name));
        } catch (err) {
          deps.log.error('TF.js wasm binary missing', { file: name, error: String((err as Error)?.message ?? err) });
          res.writeHead(500, { 'content-type': 'text/plain' }).end('the wasm backend is not installed\n');
          return true;
        }
        binaries.set(name, bytes);
        res.writeHead(200, { 'content-type': 'application/wasm', 'content-length': bytes.length, 'cache-control': 'max-age=3600', 'x-content-type-options': 'nosniff' }).end(bytes);
        return true;
      }
    }
  };
}
