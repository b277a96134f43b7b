import type { Logger } from '@dtrain/common';
import { isCodedError, silentLogger } from '@dtrain/common';
import type { EncodedTensor, Message, Push, ShardOpen, SliceState, Verdict } from '@dtrain/protocol';
import { CLOSE_CODES, DEFAULT_MAX_FRAME_BYTES, PROTOCOL_VERSION, checkTensorLength, decodeMessage, encodeMessage } from '@dtrain/protocol';
import type { OptimizerState } from '@dtrain/training';
import { WeightsEncoder } from '@dtrain/weights-sync';
import { ticketMatches, tokensMatch } from './auth';
import { GradientGuard } from './gradient-guard';
import type { Peer } from './member';
import { ParameterStore } from './parameter-store';
import { StepAggregate } from './step-aggregate';
import type { ListeningTransport, TransportLimits } from './ws-transport';
import { listen } from './ws-transport';

export interface ShardServerOptions {
  host: string;
  port: number;
  /** The run's token: the coordinator's shard-open must carry it. */
  token: string | undefined;
  maxFrameBytes: number;
  /** Slices one worker's pushes may have waiting for a verdict; older ones are dropped (never applied). */
  maxHeldPerWorker: number;
  limits?: Partial<TransportLimits>;
  tls?: { certPath: string; keyPath: string } | undefined;
}

export const DEFAULT_SHARD_OPTIONS: ShardServerOptions = {
  host: '127.0.0.1',
  port: 0,
  token: undefined,
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  // A BSP or SSP worker has one push in flight; a few more cover a verdict still on its way.
  maxHeldPerWorker: 4,
};

/** The slice this shard trains, once a coordinator opened it. */
interface OpenSlice {
  runId: string;
  index: number;
  start: number;
  end: number;
  store: ParameterStore;
  encoder: WeightsEncoder;
  guard: GradientGuard;
  aggregate: StepAggregate;
  ticketKey: string;
}

/** A worker attached to this shard: it pushes its slice here and takes the slice's weights from here. */
interface Attached {
  peer: Peer;
  workerId: string;
  /** The version of our slice it holds (−1: none yet). */
  knownVersion: number;
  /** WeightsEncoder's key for this worker's replica; 'active' while attached. */
  holder: { state: string };
}

export interface RunningShard extends AsyncDisposable {
  readonly port: number;
  readonly url: string;
  /** The open slice's version (−1 before a coordinator opened it). */
  readonly version: number;
  close(): Promise<void>;
}

/**
 * One parameter shard: a key range of the flat weights with its own optimizer state. Workers push
 * their slice of each gradient here (it is checked, held, and receipted to the coordinator); the
 * coordinator's verdicts say which held pushes make each update, in the one order every shard
 * applies them; `deliver` sends attached workers the slice they are about to compute on. The shard
 * makes no decision of its own about the run: a verdict naming a push it does not hold, or out of
 * order, fails the slice loudly rather than diverging from the other shards.
 */
export async function startShard(opts: ShardServerOptions, deps: { log?: Logger } = {}): Promise<RunningShard> {
  const log = deps.log ?? silentLogger;
  let slice: OpenSlice | undefined;
  let coordinator: Peer | undefined;
  const workers = new Map<string, Attached>();
  const byPeer = new Map<number, Attached>();
  /** Held slices by (worker, step), in arrival order per worker. */
  const held = new Map<string, Map<number, EncodedTensor>>();
  const traffic = { bytesIn: 0, bytesOut: 0, gradientBytes: 0, weightBytes: 0 };

  const sendTo = (peer: Peer, msg: Message): void => sendFrame(peer, encodeMessage(msg));
  const sendFrame = (peer: Peer, frame: Uint8Array): void => {
    traffic.bytesOut += frame.byteLength;
    peer.send(frame);
  };
  const refuse = (peer: Peer, code: string, message: string): void => {
    sendTo(peer, { type: 'error', v: PROTOCOL_VERSION, code, message, fatal: true });
    peer.close(CLOSE_CODES.policy, code);
  };

  const reset = (why: string): void => {
    if (slice) log.info('slice closed', { index: slice.index, version: slice.store.version, why });
    slice = undefined;
    held.clear();
    for (const w of workers.values()) w.peer.close(CLOSE_CODES.goingAway, 'shard closed');
    workers.clear();
    byPeer.clear();
  };

  const open = (peer: Peer, msg: ShardOpen): void => {
    if (opts.token !== undefined && (msg.token === undefined || !tokensMatch(msg.token, opts.token))) return refuse(peer, 'AUTH_ERR_BAD_TOKEN', 'shard-open without the run token');
    if (coordinator && coordinator.id !== peer.id) return refuse(peer, 'PS_ERR_SHARD_BUSY', 'this shard already serves a coordinator');
    reset('reopened');
    const size = msg.end - msg.start;
    if (msg.state.codec !== 'fp32') return refuse(peer, 'PROTO_ERR_BAD_FIELD', 'slice state travels as fp32');
    const state = msg.state.data.slice();
    const slots: Record<string, Float32Array> = {};
    msg.optimizer.slots.forEach((name, i) => (slots[name] = state.subarray((i + 1) * size, (i + 2) * size)));
    const optimizer: OptimizerState = { kind: msg.optimizer.kind, step: msg.optimizer.step, slots };
    const weights = state.subarray(0, size);
    let store: ParameterStore;
    try {
      store = new ParameterStore(weights, { kind: msg.optimizer.kind, learningRate: msg.optimizer.learningRate }, msg.mask, { version: msg.version, optimizer });
    } catch (err) {
      // An optimizer state that does not fit its kind (slots, hyper-parameters): nothing is opened.
      return refuse(peer, isCodedError(err) ? err.code : 'PS_ERR_BAD_OPTION', `cannot open the slice: ${String((err as Error).message)}`);
    }
    slice = {
      runId: msg.runId,
      index: msg.index,
      start: msg.start,
      end: msg.end,
      store,
      encoder: new WeightsEncoder(msg.weightsCompression, size),
      guard: new GradientGuard({ maxAbs: msg.maxGradientAbs, spikeFactor: msg.gradientSpikeFactor }),
      aggregate: new StepAggregate(size),
      ticketKey: msg.ticketKey,
    };
    coordinator = peer;
    peer.admitted?.();
    log.info('slice opened', { index: msg.index, start: msg.start, end: msg.end, version: msg.version, runId: msg.runId });
    sendTo(peer, { type: 'shard-ready', v: PROTOCOL_VERSION, index: msg.index, version: msg.version });
  };

  const sendWeights = (s: OpenSlice, w: Attached): void => {
    const version = s.store.version;
    if (w.knownVersion === version) return;
    if (w.peer.backlogged?.()) return refuse(w.peer, 'PS_ERR_SLOW_CONSUMER', 'the frames sent to this worker are not being read');
    const frame = s.encoder.frameFor(w.holder, w.knownVersion, version, s.store.weights, false);
    traffic.weightBytes += frame.byteLength;
    sendFrame(w.peer, frame);
    w.knownVersion = version;
  };

  const receipt = (workerId: string, step: number, code?: string): void => {
    if (coordinator) sendTo(coordinator, code ? { type: 'receipt', v: PROTOCOL_VERSION, workerId, step, code } : { type: 'receipt', v: PROTOCOL_VERSION, workerId, step });
  };

  const push = (s: OpenSlice, w: Attached, msg: Push): void => {
    if (msg.workerId !== w.workerId) return refuse(w.peer, 'PS_ERR_BAD_WORKER_ID', 'a push must name the attached worker');
    if (!msg.grad) return refuse(w.peer, 'PROTO_ERR_BAD_SHAPE', 'a push to a shard carries its slice of the gradient');
    try {
      checkTensorLength(msg.grad, s.end - s.start);
    } catch (err) {
      receipt(w.workerId, msg.step, isCodedError(err) ? err.code : 'PROTO_ERR_BAD_SHAPE');
      return refuse(w.peer, 'PROTO_ERR_BAD_SHAPE', 'the slice is not this shard’s length');
    }
    const insane = s.guard.check(msg.grad);
    if (insane) {
      log.warn('refused an out-of-range slice', { worker: w.workerId, step: msg.step, max_abs: insane.maxAbs, bound: insane.bound });
      return receipt(w.workerId, msg.step, 'PS_ERR_GRADIENT_OUT_OF_RANGE');
    }
    let mine = held.get(w.workerId);
    if (!mine) held.set(w.workerId, (mine = new Map()));
    mine.set(msg.step, msg.grad);
    // Bounded: the oldest held slice of this worker goes (a Map iterates in insertion order).
    while (mine.size > opts.maxHeldPerWorker) mine.delete(mine.keys().next().value as number);
    receipt(w.workerId, msg.step);
  };

  const apply = (s: OpenSlice, msg: Verdict): void => {
    const fail = (why: string): void => {
      log.error('verdict cannot be applied: this shard would diverge from the others', { why, version: msg.version });
      if (coordinator) refuse(coordinator, 'PS_ERR_SHARD_DIVERGED', why);
      reset(why);
    };
    if (msg.version !== s.store.version + 1) return fail(`verdict for version ${msg.version}, but the slice is at ${s.store.version}`);
    const grads: EncodedTensor[] = [];
    for (const p of msg.parts) {
      const g = held.get(p.workerId)?.get(p.step);
      if (!g) return fail(`the verdict names ${p.workerId}#${p.step}, whose slice this shard does not hold`);
      grads.push(g);
    }
    const a = s.aggregate;
    let update: Float32Array;
    if (grads.length === 1) update = a.decodeAlone(grads[0]!);
    else {
      // The same float64 sums and the same fused last add as one server's BSP step: bit-identical slices.
      a.reset();
      msg.parts.forEach((p, i) => {
        a.countPush(p.samples, 0);
        a.add(grads[i]!, p.samples, i === grads.length - 1);
      });
      update = a.mean();
    }
    s.store.apply(update, msg.learningRate);
    for (const p of msg.parts) held.get(p.workerId)?.delete(p.step);
  };

  const state = (s: OpenSlice, replyTo: number, withOptimizer: boolean): SliceState => {
    const size = s.end - s.start;
    if (!withOptimizer) return { type: 'slice-state', v: PROTOCOL_VERSION, replyTo, version: s.store.version, state: { codec: 'fp32', length: size, data: s.store.weights }, traffic: { ...traffic } };
    const snap = s.store.snapshot();
    const names = Object.keys(snap.optimizer.slots);
    const all = new Float32Array(size * (1 + names.length));
    all.set(snap.weights);
    names.forEach((n, i) => all.set(snap.optimizer.slots[n]!, (i + 1) * size));
    return {
      type: 'slice-state',
      v: PROTOCOL_VERSION,
      replyTo,
      version: snap.version,
      state: { codec: 'fp32', length: all.length, data: all },
      optimizer: { kind: snap.optimizer.kind, learningRate: s.store.baseLearningRate, step: snap.optimizer.step, slots: names },
      traffic: { ...traffic },
    };
  };

  const fromCoordinator = (s: OpenSlice | undefined, peer: Peer, msg: Message): void => {
    if (msg.type === 'shard-open') return open(peer, msg);
    if (!s) return refuse(peer, 'PS_ERR_SHARD_NOT_OPEN', 'the slice is not open');
    switch (msg.type) {
      case 'verdict':
        return apply(s, msg);
      case 'deliver':
        for (const id of msg.workers) {
          const w = workers.get(id);
          if (w) sendWeights(s, w);
        }
        return;
      case 'forget':
        held.get(msg.workerId)?.delete(msg.step);
        return;
      case 'fetch':
        return sendTo(peer, state(s, msg.requestId, msg.optimizer));
      default:
        return refuse(peer, 'PS_ERR_UNEXPECTED_MESSAGE', `${msg.type} is not sent by a coordinator`);
    }
  };

  const frame = (peer: Peer, bytes: Uint8Array): void => {
    traffic.bytesIn += bytes.byteLength;
    let msg: Message;
    try {
      msg = decodeMessage(bytes, { maxFrameBytes: opts.maxFrameBytes });
    } catch (err) {
      return refuse(peer, isCodedError(err) ? err.code : 'PROTO_ERR_MALFORMED', 'undecodable frame');
    }
    if (coordinator?.id === peer.id || msg.type === 'shard-open') return fromCoordinator(slice, peer, msg);
    const from = byPeer.get(peer.id);
    if (from && slice) {
      if (msg.type === 'push') {
        traffic.gradientBytes += bytes.byteLength;
        return push(slice, from, msg);
      }
      if (msg.type === 'leave') return peer.close(CLOSE_CODES.normal, 'bye');
      return refuse(peer, 'PS_ERR_UNEXPECTED_MESSAGE', `${msg.type} is not sent to a shard by workers`);
    }
    if (msg.type !== 'attach') return refuse(peer, 'PS_ERR_NOT_JOINED', 'attach first');
    if (!slice) {
      // Not fatal for the worker: a shard restarting waits for its coordinator; the worker retries.
      sendTo(peer, { type: 'error', v: PROTOCOL_VERSION, code: 'PS_ERR_SHARD_NOT_OPEN', message: 'this shard has no slice open yet', fatal: false });
      return peer.close(CLOSE_CODES.goingAway, 'PS_ERR_SHARD_NOT_OPEN');
    }
    if (msg.runId !== slice.runId || !ticketMatches(slice.ticketKey, slice.runId, msg.workerId, msg.ticket)) return refuse(peer, 'AUTH_ERR_BAD_TOKEN', 'the ticket is not one the coordinator gave this worker');
    const before = workers.get(msg.workerId);
    if (before) {
      // A reconnect: the new connection replaces the old one (the ticket proves it is the same member).
      byPeer.delete(before.peer.id);
      before.holder.state = 'left';
      before.peer.close(CLOSE_CODES.normal, 'replaced by a new connection');
    }
    const w: Attached = { peer, workerId: msg.workerId, knownVersion: -1, holder: { state: 'active' } };
    workers.set(msg.workerId, w);
    byPeer.set(peer.id, w);
    peer.admitted?.();
    sendWeights(slice, w);
  };

  const transport: ListeningTransport = await listen(
    {
      host: opts.host,
      port: opts.port,
      maxFrameBytes: opts.maxFrameBytes,
      // The coordinator's first frame is its slice: it presents the token at the upgrade and is admitted
      // there. Without a token (loopback only) nothing is authenticated, so no frame needs a budget.
      limits: { ...opts.limits, ...(opts.token === undefined ? { preAuthBytes: opts.maxFrameBytes + 1024 } : {}) },
      tls: opts.tls,
      ...(opts.token !== undefined ? { authenticate: (t: string) => ({ ok: tokensMatch(t, opts.token!), holdMs: 0 }), admitAuthenticated: true } : {}),
    },
    {
      connect: () => undefined,
      frame: (peer, bytes) => {
        try {
          frame(peer, bytes);
        } catch (err) {
          // A bug of ours, never the peer's input (that is refused with a code above): say so, keep serving.
          log.error('shard failed on a frame', { error: String((err as Error).message) });
          peer.close(CLOSE_CODES.internal, 'internal error');
        }
      },
      disconnect: (peer) => {
        if (coordinator?.id === peer.id) {
          coordinator = undefined;
          // Without its coordinator the slice cannot know which pushes make an update: it waits for
          // a coordinator (a restarted one resumes from its checkpoint and re-opens every shard).
          return reset('coordinator gone');
        }
        const w = byPeer.get(peer.id);
        if (!w) return;
        byPeer.delete(peer.id);
        if (workers.get(w.workerId) === w) workers.delete(w.workerId);
        w.holder.state = 'left';
      },
    },
  );
  log.info('shard listening', { url: transport.url, port: transport.port });
  const close = async (): Promise<void> => {
    reset('shard stopping');
    await transport.close();
  };
  return {
    port: transport.port,
    url: transport.url,
    get version() {
      return slice?.store.version ?? -1;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
