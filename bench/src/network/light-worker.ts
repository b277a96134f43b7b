/**
 * A lighter synthetic worker, for the points where N real worker code paths in one process would
 * need more CPU than this 2-core machine has (the real worker's int4 error-feedback compression
 * alone is ~6 ms of CPU per step: 32 of them are ~200 ms of CPU per 24 ms step). It speaks the real
 * protocol over the same bound, shaped sockets (join with the token, heartbeats, a push per work)
 * and sends real frames — real gradients of the model, compressed once per process by the real
 * error-feedback codec and cycled — but does not re-compress each step or load the weights it
 * receives. Its wait stands for the whole of a real worker's step: the measured compute plus the
 * measured compression (calibrate-compute.ts), counted from the moment it holds the step's work
 * and weights.
 *
 * Sharded servers (a welcome with `shards`): like the real worker (libs/worker-runtime's
 * shard-links.ts), it attaches to every shard with the welcome's ticket on a socket bound to its
 * own address, tracks each slice's version from the weights frames the shard sends (full frames set
 * it; a delta must start from the version held, else the link is dropped and re-attached, which
 * brings the slice in full, as the real worker does), and in BSP waits until every slice is at the
 * work's baseVersion before its compute wait starts. Per step it sends each shard its slice (the
 * real gradient cut at the shard's range and compressed with the run's codec once, per slice, by
 * its own ErrorFeedback, as the real worker keeps one per slice), then the coordinator the push
 * header without `grad`. Skipped against the real worker: the compression CPU per step (waited
 * instead), decoding-and-adding weights into a model (frames are decoded for their version only),
 * and reconnecting to the coordinator (a lost coordinator connection ends this worker).
 */
import WebSocket from 'ws';
import type { DatasetSplits } from '@dtrain/data';
import { buildModel, validateModelConfig } from '@dtrain/model';
import type { EncodedTensor, Message, ShardRoute, Welcome } from '@dtrain/protocol';
import { PROTOCOL_VERSION, bearerHeader, decodeMessage, encodeMessage } from '@dtrain/protocol';
import { COMPRESSION_KINDS, ErrorFeedback, parseCompression } from '@dtrain/training';
import type { WorkerResult } from '@dtrain/worker-runtime';
import type { GradientPool } from './synthetic-gradients';

/** Pre-encoded pushes: `pushes[i][k]` is slice k of push i (one slice without shards). */
export interface EncodedSet {
  pushes: EncodedTensor[][];
  losses: number[];
  /** [start, end) of each slice in the flat gradient. */
  slices: { start: number; end: number }[];
}

/** Encoded pushes of one process: made once from the pool's real gradients, read-only after. */
export class EncodedPushes {
  private readonly sets = new Map<string, Promise<EncodedSet>>();

  constructor(
    private readonly pool: GradientPool,
    private readonly count: number,
  ) {}

  /** The pushes cut at the welcome's shard ranges (or whole), each slice compressed by its own error feedback. */
  get(w: Welcome, data: DatasetSplits): Promise<EncodedSet> {
    const key = JSON.stringify(w.shards?.map((r) => [r.start, r.end]) ?? null);
    let set = this.sets.get(key);
    if (!set) {
      set = this.make(w, data);
      this.sets.set(key, set);
    }
    return set;
  }

  private async make(w: Welcome, data: DatasetSplits): Promise<EncodedSet> {
    const model = buildModel(validateModelConfig(w.model), { seed: w.hyper.seed });
    try {
      const { grads, losses } = await this.pool.get(model, data.train, { augment: null, frozen: w.frozen ?? [] });
      const spec = parseCompression(w.compression);
      const total = model.countParams();
      const slices = w.shards ? w.shards.map((r) => ({ start: r.start, end: r.end })) : [{ start: 0, end: total }];
      const feedbacks = slices.map((s) => new ErrorFeedback(s.end - s.start, spec));
      const pushes: EncodedTensor[][] = [];
      for (let i = 0; i < this.count; i++) {
        const g = grads[i % grads.length] as Float32Array;
        pushes.push(
          slices.map((s, k) => {
            const part = g.subarray(s.start, s.end);
            // Lossless 'none' skips error feedback in the real worker too: the frame is the gradient.
            return spec.kind === 'none' ? { codec: 'fp32', length: part.length, data: Float32Array.from(part) } : copyEncoded((feedbacks[k] as ErrorFeedback).compress(part));
          }),
        );
      }
      return { pushes, losses: pushes.map((_, i) => losses[i % losses.length] as number), slices };
    } finally {
      model.dispose();
    }
  }
}

/** The codec's buffers may be reused by the next compress: keep copies. */
function copyEncoded(e: EncodedTensor): EncodedTensor {
  return structuredClone(e);
}

export interface LightWorkerOptions {
  url: string;
  token: string;
  workerId: string;
  localAddress: string;
  /** The wait per batch-64 step: compute + compression of a real worker. */
  stepMs: number;
  batch: number;
  offset: number;
  pushes: EncodedPushes;
  loadData: (spec: string) => Promise<DatasetSplits>;
  onPush: () => void;
  /** How long a step waits for every shard's slice of its weights before the worker fails (ms). */
  shardWaitMs?: number;
}

/** The real worker's result (same fields, same meaning), and how late its synthetic compute ran. */
export interface LightWorkerResult extends WorkerResult {
  late_steps: number;
  late_ms: number;
  /** Sharded: shard attachments made (K at the start, more after a shard link dropped). */
  shard_attaches?: number;
  /** Sharded: ms spent waiting for slices after the work arrived, summed. */
  shard_wait_ms?: number;
}

const zeroMask = (mask: Buffer): void => {
  mask.fill(0);
};

const MAX_FRAME = 64 * 1024 * 1024;

function boundSocket(url: string, localAddress: string, token: string | undefined): WebSocket {
  const ws = new WebSocket(url, { perMessageDeflate: false, generateMask: zeroMask, localAddress, maxPayload: MAX_FRAME, ...(token !== undefined ? { headers: { authorization: bearerHeader(token) } } : {}) });
  ws.binaryType = 'nodebuffer';
  return ws;
}

/**
 * One worker's links to the K shards: attach, per-slice versions, waiting for a version, sending a
 * slice. The light counterpart of the real worker's ShardLinks (no weights applied).
 */
export class LightShardLinks {
  readonly versions: number[];
  private readonly sockets: (WebSocket | undefined)[];
  private waiters: (() => void)[] = [];
  private closed = false;
  /** performance.now() of the latest weights frame from any shard. */
  lastFrameAt = 0;
  attaches = 0;

  constructor(
    readonly routes: readonly ShardRoute[],
    private readonly workerId: string,
    private readonly runId: string,
    private readonly ticket: string,
    private readonly localAddress: string,
  ) {
    this.versions = routes.map(() => -1);
    this.sockets = routes.map(() => undefined);
    routes.forEach((_, k) => this.connect(k));
  }

  holds(version: number, exact: boolean): boolean {
    return this.versions.every((v) => (exact ? v === version : v >= version));
  }

  waitFor(version: number, exact: boolean, timeoutMs: number): Promise<boolean> {
    if (this.holds(version, exact)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve(false);
      }, timeoutMs);
      const check = (): void => {
        if (!this.holds(version, exact) && !this.closed) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve(this.holds(version, exact));
      };
      this.waiters.push(check);
    });
  }

  send(k: number, frame: Uint8Array): boolean {
    const ws = this.sockets[k];
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(frame, { binary: true });
    return true;
  }

  close(): void {
    this.closed = true;
    for (const ws of this.sockets) ws?.close(1000, 'leaving');
    for (const w of [...this.waiters]) w();
  }

  private connect(k: number): void {
    if (this.closed) return;
    const ws = boundSocket((this.routes[k] as ShardRoute).url, this.localAddress, undefined);
    this.sockets[k] = ws;
    ws.on('open', () => {
      this.attaches++;
      ws.send(encodeMessage({ type: 'attach', v: PROTOCOL_VERSION, workerId: this.workerId, runId: this.runId, ticket: this.ticket }), { binary: true });
    });
    ws.on('message', (raw: Buffer) => {
      const msg = decodeMessage(raw, { maxFrameBytes: MAX_FRAME });
      if (msg.type !== 'weights') return;
      this.lastFrameAt = performance.now();
      // A delta from a version this worker does not hold: the real worker re-attaches (full slice follows).
      if (msg.encoding === 'delta' && msg.baseVersion !== this.versions[k]) {
        ws.close(4000, 'resync weights');
        return;
      }
      this.versions[k] = msg.version;
      for (const w of [...this.waiters]) w();
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      if (this.sockets[k] === ws && !this.closed) setTimeout(() => this.connect(k), 200);
    });
  }
}

export function runLightWorker(o: LightWorkerOptions): Promise<LightWorkerResult> {
  const r: LightWorkerResult = { workerId: o.workerId, steps: 0, samples: 0, connections: 0, reason: 'finished', computeMs: 0, encodeMs: 0, weightsMs: 0, late_steps: 0, late_ms: 0 };
  return new Promise((resolve, reject) => {
    const ws = boundSocket(o.url, o.localAddress, o.token);
    let ready: Promise<EncodedSet> | undefined;
    let heartbeat: ReturnType<typeof setInterval> | undefined;
    let links: LightShardLinks | undefined;
    let welcome: Welcome | undefined;
    let i = o.offset;
    const send = (m: Message): void => {
      if (ws.readyState === WebSocket.OPEN) ws.send(encodeMessage(m), { binary: true });
    };
    const fail = (err: Error): void => {
      links?.close();
      ws.terminate();
      reject(err);
    };
    ws.on('open', () => {
      r.connections++;
      send({ type: 'join', v: PROTOCOL_VERSION, requestId: 1, workerId: o.workerId, token: o.token, protocolVersion: PROTOCOL_VERSION, capabilities: { backend: 'synthetic', compression: [...COMPRESSION_KINDS], maxFrameBytes: MAX_FRAME, pid: process.pid, host: o.localAddress } });
    });
    ws.on('message', (raw: Buffer) => {
      const arrived = performance.now();
      const msg = decodeMessage(raw);
      switch (msg.type) {
        case 'welcome': {
          const w = msg;
          welcome = w;
          ready = o.loadData(w.dataset).then((d) => o.pushes.get(w, d));
          if (w.shards && w.shards.length > 0) {
            links?.close();
            links = new LightShardLinks(w.shards, o.workerId, w.runId, w.shardTicket ?? '', o.localAddress);
            r.shard_attaches = 0;
            r.shard_wait_ms = 0;
          }
          if (heartbeat) clearInterval(heartbeat);
          heartbeat = setInterval(() => send({ type: 'heartbeat', v: PROTOCOL_VERSION, ts: Date.now(), stats: { step: r.steps, samplesPerSec: 0, computeMs: r.computeMs, encodeMs: 0, rssBytes: process.memoryUsage.rss() } }), w.heartbeatMs);
          return;
        }
        case 'work': {
          const work = msg;
          void (ready ?? Promise.reject(new Error('work before welcome'))).then(async (p) => {
            let start = arrived;
            if (links) {
              // BSP computes on exactly the step's weights; the asynchronous modes take newer ones.
              const exact = welcome?.mode.kind === 'bsp';
              const t = performance.now();
              if (!(await links.waitFor(work.baseVersion, exact, o.shardWaitMs ?? 30_000))) {
                if (ws.readyState !== WebSocket.OPEN) return;
                throw new Error(`${o.workerId}: the shards did not send weights version ${work.baseVersion} within ${o.shardWaitMs ?? 30_000} ms (have ${links.versions.join(',')})`);
              }
              r.shard_wait_ms = (r.shard_wait_ms ?? 0) + (performance.now() - t);
              start = Math.max(arrived, links.lastFrameAt);
            }
            const deadline = start + (o.stepMs * work.indices.length) / o.batch;
            const left = deadline - performance.now();
            if (left > 0) await new Promise((res) => setTimeout(res, left));
            else if (r.steps > 0) {
              r.late_steps++;
              r.late_ms -= left;
            }
            const k = i++ % p.pushes.length;
            const computeMs = performance.now() - start;
            const header = { step: work.step, baseVersion: work.baseVersion, samples: work.indices.length, loss: p.losses[k] as number, computeMs };
            const slices = p.pushes[k] as EncodedTensor[];
            if (links) {
              // Each shard its slice, then the coordinator the header (no gradient), as the real worker.
              slices.forEach((g, s) => {
                if (!links!.send(s, encodeMessage({ type: 'push', v: PROTOCOL_VERSION, workerId: o.workerId, ...header, grad: g }))) throw new Error(`${o.workerId}: shard link ${s} is down at step ${work.step}`);
              });
              send({ type: 'push', v: PROTOCOL_VERSION, workerId: o.workerId, ...header });
            } else send({ type: 'push', v: PROTOCOL_VERSION, workerId: o.workerId, ...header, grad: slices[0] as EncodedTensor });
            r.computeMs += computeMs;
            r.steps++;
            r.samples += work.indices.length;
            o.onPush();
          }).catch((err: unknown) => fail(err as Error));
          return;
        }
        case 'done':
          r.reason = msg.reason === 'stopped' ? 'stopped' : 'finished';
          ws.close(1000, 'done');
          return;
        case 'error':
          if (msg.fatal) fail(new Error(`server refused: ${msg.code}: ${msg.message}`));
          return;
        default:
          // weights, assign, ack: a real worker loads the weights; this one only receives them.
          return;
      }
    });
    ws.on('error', (err) => fail(err));
    ws.on('close', () => {
      if (heartbeat) clearInterval(heartbeat);
      if (links) {
        r.shard_attaches = links.attaches;
        r.shard_wait_ms = Math.round(r.shard_wait_ms ?? 0);
        links.close();
      }
      resolve(r);
    });
  });
}
