import type { Clock, Logger } from '@dtrain/common';
import { isCodedError, silentLogger, systemClock } from '@dtrain/common';
import type { DatasetSplits } from '@dtrain/data';
import { loadDataset } from '@dtrain/data';
import type { EncodedTensor, Message, Push, Welcome, Work, WorkerStats } from '@dtrain/protocol';
import { CLOSE_CODES, MAX_CAPABILITY_LIST, PROTOCOL_VERSION, decodeMessage, encodeMessage } from '@dtrain/protocol';
import { WeightsApplier } from '@dtrain/weights-sync';
import type * as tf from '@tensorflow/tfjs';
import { memory as tfMemory } from '@tensorflow/tfjs';
import { kernelFallbackNames } from '@dtrain/engine';
import { TrainableLayout, buildModel, setFlatWeights, validateModelConfig, weightManifest } from '@dtrain/model';
import type { BatchGradients } from '@dtrain/trainer';
import { createBatchGradients } from '@dtrain/trainer';
import { COMPRESSION_KINDS, ErrorFeedback, parseCompression } from '@dtrain/training';
import type { WorkerOptions } from './worker-options';
import { stragglerWaitMs } from './worker-options';
import { ReconnectSchedule } from './reconnect-schedule';
import { WorkerError } from './worker-error';
import type { HostStats, WorkerHost, WorkerSocket } from './worker-host';
import { nodeHost } from './node-host';
import { ShardLinks } from './shard-links';

export type { WorkerErrorCode } from './worker-error';
export { WorkerError } from './worker-error';

/** Codes after which retrying cannot help: the server said no for good. */
const FINAL_CODES = new Set(['AUTH_ERR_BAD_TOKEN', 'AUTH_ERR_MISSING_TOKEN', 'PROTO_ERR_BAD_VERSION', 'PS_ERR_BAD_WORKER_ID', 'PS_ERR_SHUTTING_DOWN']);

export interface WorkerResult {
  workerId: string;
  steps: number;
  samples: number;
  connections: number;
  reason: 'finished' | 'stopped';
  /** Gradient computation (batch fill + forward + backward + read-out), summed over pushes. */
  computeMs: number;
  /** Compression and frame encoding of pushes, summed. */
  encodeMs: number;
  /** Decoding weights frames and writing them into the model, summed. */
  weightsMs: number;
}

export interface WorkerDeps {
  log?: Logger;
  clock?: Clock;
  /** Dataset loader (defaults to libs/data); injected by tests. */
  loadData?: (spec: string) => Promise<DatasetSplits>;
  backend?: string;
  /** Where the worker runs (defaults to this Node process: `ws`, process stats). */
  host?: WorkerHost;
  /**
   * Makes the gradient computer for a joined model (defaults to TF.js on the model: createBatchGradients).
   * The network benchmark injects one that waits a measured compute time and returns real gradients.
   */
  gradients?: typeof createBatchGradients;
  /** Called after each push with the running totals and the (1-based) epoch it belonged to (the browser page shows them). */
  progress?: (totals: WorkerResult, step: { epoch: number; loss: number }) => void;
}

interface Session {
  welcome: Welcome;
  model: tf.LayersModel;
  gradients: BatchGradients;
  /** Error feedback per slice of the pushed vector (one slice, or one per shard). */
  feedbacks: ErrorFeedback[];
  /** Where each feedback's slice lies in the pushed vector. */
  slices: { start: number; end: number }[];
  /** Sharded servers: the links to the shards (weights come from them, pushes go to them). */
  shards: ShardLinks | undefined;
  /** With frozen layers and a server that takes them: pushes carry only the weights that train, packed here. */
  packing: { layout: TrainableLayout; packed: Float32Array } | undefined;
  /** One server: the weights this worker holds, kept in step with the server's replica of them (libs/weights-sync). Sharded: `shards` holds them. */
  downlink: WeightsApplier | undefined;
  /** Per un-acknowledged lossy push: what it carried of each slice's residual (restored if the server refuses it). */
  carried: Map<number, Float32Array[]>;
}

export interface RunningWorker {
  readonly done: Promise<WorkerResult>;
  /** Leaves gracefully (tells the server) and resolves `done` with reason 'stopped'. */
  stop(): void;
}

/**
 * One worker process's life: connect, join, compute what it is told, reconnect with backoff and
 * jitter when the connection drops, finish when the server says the run is done.
 */
export function startWorker(opts: WorkerOptions, deps: WorkerDeps = {}): RunningWorker {
  const log = (deps.log ?? silentLogger).child({ worker: opts.workerId });
  const clock = deps.clock ?? systemClock();
  const loadData = deps.loadData ?? ((spec: string) => loadDataset(spec, opts.cacheDir ? { cacheDir: opts.cacheDir } : {}));
  let data: { spec: string; splits: DatasetSplits } | undefined;
  let session: Session | undefined;
  const host = deps.host ?? nodeHost({ caPath: opts.caPath, insecureTls: opts.insecureTls });
  let ws: WorkerSocket | undefined;
  let stopping = false;
  let finished = false;
  const reconnect = new ReconnectSchedule(opts.reconnect, clock);
  let heartbeat: ReturnType<Clock['setInterval']> | undefined;
  const result: WorkerResult = { workerId: opts.workerId, steps: 0, samples: 0, connections: 0, reason: 'finished', computeMs: 0, encodeMs: 0, weightsMs: 0 };
  let resolve!: (r: WorkerResult) => void;
  let reject!: (e: unknown) => void;
  const done = new Promise<WorkerResult>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  done.catch(() => undefined);
  let queue: Promise<void> = Promise.resolve();
  // The injected clock's timers do not hold the process open; a worker waiting to reconnect must.
  const keepAlive = setInterval(() => undefined, 60_000);
  let requestId = 0;
  let cpuStart: CpuMark | undefined;

  const end = (err?: unknown): void => {
    if (finished) return;
    finished = true;
    clearInterval(keepAlive);
    if (heartbeat) clock.clearInterval(heartbeat);
    session?.gradients.dispose();
    session?.model.dispose();
    session?.shards?.close();
    session = undefined;
    ws?.detach();
    if (err) reject(err);
    else resolve(result);
  };

  const send = (msg: Message): void => {
    sendFrame(encodeMessage(msg));
  };
  const sendFrame = (frame: Uint8Array): void => {
    if (ws?.open) ws.send(frame);
  };

  const setup = async (w: Welcome): Promise<void> => {
    const cfg = validateModelConfig(w.model);
    if (!data || data.spec !== w.dataset) data = { spec: w.dataset, splits: await loadData(w.dataset) };
    // Same run, but its weights cut otherwise (resumed with another number of shards, or with none):
    // the per-slice residuals and weights no longer fit, so the session starts afresh (full weights follow).
    const sameRun = session?.welcome.runId === w.runId;
    const sameSlicing = session !== undefined && slicing(session.welcome) === slicing(w);
    if (sameRun && !sameSlicing) log.info('the run is sliced otherwise now: starting the session afresh', { shards: w.shards?.length ?? 1 });
    if (session && sameRun && sameSlicing) {
      // Same run after a reconnect: keep the model and the error-feedback residual. Acks of pushes sent
      // before the drop will not come, and whether they were applied is unknown: forget them.
      session.welcome = w;
      session.carried.clear();
      if (w.shards && session.shards?.serves(w.shards, w.shardTicket ?? '')) return;
      session.shards?.close();
      session.shards = w.shards ? openShards(w) : undefined;
      return;
    }
    session?.gradients.dispose();
    session?.model.dispose();
    session?.shards?.close();
    const model = buildModel(cfg, { seed: w.hyper.seed });
    const manifest = weightManifest(model);
    const same =
      manifest.totalSize === w.manifest.totalSize &&
      manifest.entries.length === w.manifest.shapes.length &&
      manifest.entries.every((e, i) => JSON.stringify(e.shape) === JSON.stringify(w.manifest.shapes[i]));
    if (!same) throw new WorkerError('WORKER_ERR_MODEL_MISMATCH', 'the model built from the server config does not match its manifest');
    const layout = w.pushLayout === 'trainable' ? TrainableLayout.of(manifest, w.frozen ?? []) : undefined;
    const slices = w.shards ? w.shards.map((r) => ({ start: r.start, end: r.end })) : [{ start: 0, end: layout?.size ?? manifest.totalSize }];
    session = {
      welcome: w,
      model,
      gradients: (deps.gradients ?? createBatchGradients)(model, data.splits.train, { augment: w.hyper.augment ?? null, frozen: w.frozen ?? [] }),
      feedbacks: slices.map((r) => new ErrorFeedback(r.end - r.start, parseCompression(w.compression))),
      slices,
      shards: w.shards ? openShards(w) : undefined,
      packing: layout ? { layout, packed: new Float32Array(layout.size) } : undefined,
      downlink: w.shards ? undefined : new WeightsApplier(manifest.totalSize, (weights) => setFlatWeights(model, weights), layout),
      carried: new Map(),
    };
    log.info('joined', { runId: w.runId, dataset: w.dataset, mode: w.mode.kind, compression: w.compression, params: manifest.totalSize });
  };

  const openShards = (w: Welcome): ShardLinks =>
    new ShardLinks(w.shards!, host, { workerId: opts.workerId, runId: w.runId, ticket: w.shardTicket ?? '', maxFrameBytes: opts.maxFrameBytes, reconnect: opts.reconnect }, clock, log);

  const compute = async (s: Session, w: Work): Promise<void> => {
    if (s.shards) {
      // BSP computes on exactly the step's weights; the asynchronous modes take newer ones if a shard has them.
      const exact = s.welcome.mode.kind === 'bsp';
      if (!(await s.shards.waitFor(w.baseVersion, exact, opts.shardWaitMs))) {
        if (!ws?.open) return; // the coordinator's connection dropped meanwhile: the batch goes to whoever is next
        log.warn('the shards did not send the weights this work needs; reconnecting to resynchronise', { have: s.shards.version, want: w.baseVersion });
        s.shards.resync();
        ws?.close(CLOSE_CODES.resync, 'resync weights');
        return;
      }
      const t0 = performance.now();
      setFlatWeights(s.model, s.shards.current());
      result.weightsMs += performance.now() - t0;
    } else if (s.downlink?.version !== w.baseVersion) {
      // Our weights drifted from the server's idea of them (a delta we could not apply). Without a push
      // the step would wait for us forever; a fresh connection re-homes the batch and brings full weights.
      log.warn('work for weights this worker does not hold; reconnecting to resynchronise', { have: s.downlink?.version, want: w.baseVersion });
      ws?.close(CLOSE_CODES.resync, 'resync weights');
      return;
    }
    const t0 = performance.now();
    const r = await s.gradients.computeAsync(w.indices, w.augmentSeed);
    const waitMs = stragglerWaitMs(opts, performance.now() - t0);
    if (waitMs > 0) await new Promise((res) => setTimeout(res, waitMs));
    const t1 = performance.now();
    const computeMs = t1 - t0;
    result.computeMs += computeMs;
    const grads = s.packing ? s.packing.layout.gather(r.grads, s.packing.packed) : r.grads;
    const header = { step: w.step, baseVersion: w.baseVersion, samples: r.samples, loss: Number.isFinite(r.loss) ? r.loss : 0, computeMs };
    const parts = s.slices.map((sl) => grads.subarray(sl.start, sl.end));
    // Sharded: each shard gets its slice as soon as it is encoded (on the wire while the next one is
    // compressed), then the coordinator the header, which carries no gradient.
    let sent = true;
    const encoded = parts.map((g, k) => {
      const e = encodeGradient(s.feedbacks[k]!, g);
      if (s.shards) sent = s.shards.pushSlice(k, header, e) && sent;
      return e;
    });
    if (!sent) {
      // A shard link is down: without the header the step would not count this push anyway, and
      // leaving at once hands the batch on now instead of after the coordinator's timeout.
      log.warn('a shard link is down: this push cannot reach every shard; reconnecting', { step: w.step });
      // Its samples are redone, so what it carried of each residual goes back (delayed, not lost).
      if (s.feedbacks[0]!.spec.kind !== 'none') encoded.forEach((e, k) => s.feedbacks[k]!.restore(s.feedbacks[k]!.carriedBy(e, parts[k]!)));
      ws?.close(CLOSE_CODES.resync, 'shard link down');
      return;
    }
    if (s.feedbacks[0]!.spec.kind !== 'none') rememberCarried(s, w.step, encoded.map((e, k) => s.feedbacks[k]!.carriedBy(e, parts[k]!)));
    const push: Push = { type: 'push', v: PROTOCOL_VERSION, workerId: opts.workerId, ...header, ...(s.shards ? {} : { grad: encoded[0]! }) };
    // The frame is the one copy of the gradient: encodeMessage validates it (finite) and copies it in.
    const frame = encodeMessage(push);
    result.encodeMs += performance.now() - t1;
    sendFrame(frame);
    result.steps++;
    result.samples += r.samples;
    deps.progress?.({ ...result }, { epoch: w.epoch + 1, loss: push.loss });
    // CPU is counted from the end of the first step on: that one holds kernel compilation and warm-up.
    cpuStart ??= { cpuMs: host.stats().cpuMs ?? 0, steps: result.steps };
  };

  const handle = async (msg: Message): Promise<void> => {
    switch (msg.type) {
      case 'welcome':
        await setup(msg);
        reconnect.joined();
        if (heartbeat) clock.clearInterval(heartbeat);
        heartbeat = clock.setInterval(() => {
          send({ type: 'heartbeat', v: PROTOCOL_VERSION, ts: clock.now(), stats: workerStats(result, cpuStart, host.stats()) });
        }, msg.heartbeatMs);
        return;
      case 'assign':
        log.debug('assigned', { epoch: msg.epoch, shard: msg.shard, members: msg.members });
        return;
      case 'weights': {
        if (!session?.downlink) return;
        const t0 = performance.now();
        if (session.downlink.apply(msg) === 'resync') {
          log.warn('weights of the trainable layers only, without the frozen ones to go with them; reconnecting to resynchronise');
          ws?.close(CLOSE_CODES.resync, 'resync weights');
          return;
        }
        result.weightsMs += performance.now() - t0;
        return;
      }
      case 'work':
        if (session) await compute(session, msg);
        return;
      case 'ack': {
        if (msg.status !== 'applied') log.debug('push not applied', { step: msg.step, status: msg.status, code: msg.code });
        const carried = session?.carried.get(msg.step);
        if (!session || !carried) return;
        session.carried.delete(msg.step);
        // Its samples are redone; the residual it spent goes back so compression error is delayed, not lost.
        if (msg.status === 'stale' || msg.status === 'dropped') carried.forEach((c, k) => session!.feedbacks[k]!.restore(c));
        return;
      }
      case 'error':
        log.warn('server error', { code: msg.code, message: msg.message, fatal: msg.fatal });
        if (msg.fatal && FINAL_CODES.has(msg.code)) end(new WorkerError('WORKER_ERR_REFUSED', `server refused: ${msg.code}: ${msg.message}`, { code: msg.code }));
        return;
      case 'done':
        log.info('run over', { reason: msg.reason, steps: result.steps, computeMs: Math.round(result.computeMs), encodeMs: Math.round(result.encodeMs), weightsMs: Math.round(result.weightsMs) });
        if (msg.reason === 'failed') end(new WorkerError('WORKER_ERR_SERVER_FAILED', `the server's run failed: ${JSON.stringify(msg.summary ?? {})}`));
        else {
          result.reason = msg.reason === 'stopped' ? 'stopped' : 'finished';
          end();
        }
        return;
      default:
        log.warn('unexpected message from server', { type: msg.type });
    }
  };

  const connect = (): void => {
    if (finished) return;
    const socket: WorkerSocket = host.openSocket(opts.serverUrl, opts.token, opts.maxFrameBytes, {
      open: () => {
        result.connections++;
        log.info('connected', { url: opts.serverUrl, connection: result.connections });
        send({
          type: 'join',
          v: PROTOCOL_VERSION,
          requestId: ++requestId,
          workerId: opts.workerId,
          ...(opts.token !== undefined ? { token: opts.token } : {}),
          protocolVersion: PROTOCOL_VERSION,
          capabilities: {
            backend: deps.backend ?? 'unknown',
            compression: [...COMPRESSION_KINDS],
            maxFrameBytes: opts.maxFrameBytes,
            ...(host.pid !== undefined ? { pid: host.pid } : {}),
            host: host.host,
            trainableLayout: true,
          },
          ...(session?.downlink && session.downlink.version >= 0 ? { resumeFrom: { version: session.downlink.version, step: result.steps } } : {}),
          // Proves this is the member whose connection may still look alive to the server.
          ...(session?.welcome.session !== undefined ? { session: session.welcome.session } : {}),
        });
      },
      message: (raw) => {
        let msg: Message;
        try {
          msg = decodeMessage(raw, { maxFrameBytes: opts.maxFrameBytes });
        } catch (err) {
          log.error('undecodable frame from server', { code: isCodedError(err) ? err.code : 'unknown' });
          socket.close(CLOSE_CODES.policy, 'bad frame');
          return;
        }
        queue = queue.then(() => handle(msg)).catch((err) => end(err));
      },
      error: (message) => log.debug('socket error', { error: message }),
      // The server refused our bearer token at the upgrade: as final as AUTH_ERR_BAD_TOKEN on a join.
      refused: (status) => {
        if (status !== 401) return;
        log.warn('server error', { code: 'AUTH_ERR_BAD_TOKEN', message: 'the server refused the token (HTTP 401)', fatal: true });
        end(new WorkerError('WORKER_ERR_REFUSED', 'server refused: AUTH_ERR_BAD_TOKEN: HTTP 401 at the upgrade', { code: 'AUTH_ERR_BAD_TOKEN' }));
      },
      close: (code, reason) => {
        if (heartbeat) clock.clearInterval(heartbeat);
        heartbeat = undefined;
        // Work waiting for shard weights is void now (the coordinator re-homes it): do not hold the queue.
        session?.shards?.interrupt();
        if (finished) return;
        if (stopping) return end();
        const delay = reconnect.next();
        if (delay === undefined) return end(new WorkerError('WORKER_ERR_GAVE_UP', `no server at ${opts.serverUrl} for ${opts.reconnect.giveUpAfterMs} ms`));
        log.info('disconnected; reconnecting', { code, reason, delayMs: Math.round(delay), downForMs: Math.round(reconnect.downForMs) });
        // Let queued work drain first so a half-finished step is not interleaved with the new session.
        clock.setTimeout(() => void queue.then(connect), delay);
      },
    });
    ws = socket;
  };

  connect();
  return {
    done,
    stop() {
      if (finished) return;
      stopping = true;
      result.reason = 'stopped';
      send({ type: 'leave', v: PROTOCOL_VERSION, reason: 'stopped by operator' });
      ws?.close(1000, 'leaving');
      clock.setTimeout(() => end(), 2_000);
    },
  };
}

/** How a welcome cuts the weights over servers: its shard ranges (or one server). */
const slicing = (w: Welcome): string => JSON.stringify(w.shards?.map((r) => [r.start, r.end]) ?? null);

/** Pushes whose fate is still unknown; more than this means acks are not coming (a lost connection). */
const MAX_UNACKED_CARRIED = 16;

/** The session's weights copy, brought up to the last full frame if that was not copied yet. */
function rememberCarried(s: Session, step: number, carried: Float32Array[]): void {
  s.carried.set(step, carried);
  if (s.carried.size > MAX_UNACKED_CARRIED) s.carried.delete(s.carried.keys().next().value as number);
}

/**
 * Lossless 'none' skips error feedback: its residual is always zero, and adding the gradient into it,
 * copying it out and zeroing it again would be three passes over the weights for nothing.
 */
function encodeGradient(feedback: ErrorFeedback, grads: Float32Array): EncodedTensor {
  if (feedback.spec.kind === 'none') return { codec: 'fp32', length: grads.length, data: grads };
  return feedback.compress(grads);
}

interface CpuMark {
  cpuMs: number;
  steps: number;
}

/** What a heartbeat tells the server: cumulative times (for its step-time breakdown), memory and CPU. */
function workerStats(r: WorkerResult, cpuStart: CpuMark | undefined, h: HostStats): WorkerStats {
  return {
    ...(cpuStart && h.cpuMs !== undefined && r.steps > cpuStart.steps ? { cpuMs: h.cpuMs - cpuStart.cpuMs, cpuSteps: r.steps - cpuStart.steps } : {}),
    step: r.steps,
    samplesPerSec: r.computeMs > 0 ? (r.samples / r.computeMs) * 1000 : 0,
    computeMs: r.computeMs,
    encodeMs: r.encodeMs,
    rssBytes: h.rssBytes,
    ...(h.peakRssBytes !== undefined ? { peakRssBytes: h.peakRssBytes } : {}),
    tensors: tfMemory().numTensors,
    ...fallbackNames(),
  };
}

/** The kernels that fell back in this process, for heartbeats (names only; the reasons are in the worker's log). */
function fallbackNames(): { kernelFallbacks?: string[] } {
  // At most the protocol's list bound, so a heartbeat is never refused for it (there are ~20 kernels of ours).
  const names = kernelFallbackNames().slice(0, MAX_CAPABILITY_LIST);
  return names.length > 0 ? { kernelFallbacks: names } : {};
}
