// The worker page's program (bundled for the browser by the server; see the server's worker
// routes). It joins the run the page was served by: the token comes from the URL fragment
// (#token=…, never sent in a request), the worker id from #id= or a fresh one kept for reloads.
import { decodeDataset } from '@dtrain/data';
import type { DatasetSplits } from '@dtrain/data';
import { WORKER_ROUTES, bearerHeader } from '@dtrain/protocol';
import { DEFAULT_RECONNECT, DEFAULT_SHARD_WAIT_MS, startWorker } from '@dtrain/worker-runtime';
import type { WorkerOptions, WorkerResult } from '@dtrain/worker-runtime';
import { browserHost } from './browser-host';
import { pageLogger } from './page-log';
import type { BrowserBackend } from './pick-backend';
import { BROWSER_BACKENDS, pickBackend } from './pick-backend';


/** Samples per second of compute time so far (what the page shows as this tab's throughput). */
const computeRate = (r: WorkerResult): number => (r.samples / Math.max(1, r.computeMs)) * 1000;

const $ = (id: string): HTMLElement | null => document.getElementById(id);
const show = (id: string, text: string): void => {
  const el = $(id);
  if (el) el.textContent = text;
};

async function fetchTrainSplit(spec: string, token: string | undefined): Promise<DatasetSplits> {
  const res = await fetch(`${WORKER_ROUTES.data}?spec=${encodeURIComponent(spec)}`, token !== undefined ? { headers: { authorization: bearerHeader(token) } } : {});
  if (!res.ok) throw new Error(`the server did not send the training split (HTTP ${res.status})`);
  const train = decodeDataset(new Uint8Array(await res.arrayBuffer()));
  // Workers only compute on training samples; the test split stays with the server.
  return { train, test: { ...train, count: 0, images: new Uint8Array(0), labels: new Uint8Array(0) }, source: `server ${location.host}` };
}

function workerId(params: URLSearchParams): string {
  const given = params.get('id');
  if (given) return given;
  const kept = sessionStorage.getItem('dtrain-worker-id');
  if (kept) return kept;
  const fresh = `browser-${Math.random().toString(36).slice(2, 10)}`;
  sessionStorage.setItem('dtrain-worker-id', fresh);
  return fresh;
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get('token') ?? undefined;
  const only = params.get('backend') as BrowserBackend | null;
  const log = pageLogger($('log'));
  const picked = await pickBackend(only && BROWSER_BACKENDS.includes(only) ? [only] : BROWSER_BACKENDS);
  const backend = picked.backend;
  show('backend', `${backend} (${picked.detail})`);
  for (const s of picked.skipped) log.info('backend passed over', { backend: s.backend, reason: s.reason });
  const id = workerId(params);
  show('worker', id);
  const opts: WorkerOptions = {
    serverUrl: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`,
    workerId: id,
    token,
    backend: 'auto',
    reconnect: DEFAULT_RECONNECT,
    maxFrameBytes: 64 * 1024 * 1024,
    caPath: undefined,
    insecureTls: false,
    artificialDelayMs: Number(params.get('slowMs') ?? 0) || 0,
    slowdownFactor: Math.max(1, Number(params.get('slowFactor') ?? 1) || 1),
    cacheDir: undefined,
    shardWaitMs: DEFAULT_SHARD_WAIT_MS,
  };
  show('state', 'joining');
  const progress = (r: WorkerResult, step: { epoch: number; loss: number }): void => {
    show('progress', `epoch ${step.epoch}: ${r.steps} steps, ${r.samples} samples, loss ${step.loss.toFixed(4)}`);
    show('speed', `${computeRate(r).toFixed(1)} samples/s computing`);
  };
  const worker = startWorker(opts, { host: browserHost(WORKER_ROUTES.token), loadData: (spec) => fetchTrainSplit(spec, token), backend: `browser-${backend}`, log, progress });
  // A closed tab leaves cleanly; the server counts a tab that vanishes without it as lost.
  addEventListener('pagehide', () => worker.stop());
  const t0 = performance.now();
  const timer = setInterval(() => show('state', `training (${((performance.now() - t0) / 1000).toFixed(0)} s)`), 1_000);
  try {
    const r = await worker.done;
    show('state', `finished: ${r.steps} steps, ${r.samples} samples, ${computeRate(r).toFixed(0)} samples/s computing`);
    document.body.dataset['state'] = 'finished';
    console.info(`dtrain: finished ${JSON.stringify(r)}`);
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'WORKER_ERR';
    const detail = (err as { details?: { code?: string } }).details?.code;
    show('state', `stopped: ${code}${detail ? ` (${detail})` : ''}: ${(err as Error).message}`);
    document.body.dataset['state'] = 'failed';
    document.body.dataset['code'] = detail ?? code;
    console.warn(`dtrain: failed ${code} ${detail ?? ''} ${(err as Error).stack ?? ''}`);
  } finally {
    clearInterval(timer);
  }
}

void main();
