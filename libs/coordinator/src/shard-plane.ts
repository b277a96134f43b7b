import type { Clock, Logger } from '@dtrain/common';
import type { Message, Receipt, ShardRoute, SliceState, UpdatePart } from '@dtrain/protocol';
import { PROTOCOL_VERSION, bearerHeader, decodeMessage, encodeMessage } from '@dtrain/protocol';
import type { OptimizerState } from '@dtrain/training';
import WebSocket from 'ws';
import { newTicketKey, shardTicket } from './auth';
import { CoordinatorError } from './coordinator-error';
import type { KeyRange } from './key-ranges';
import type { ParameterStoreState } from './parameter-store';

export interface ShardPlaneOptions {
  /** One URL per shard, in key-range order. */
  urls: readonly string[];
  token: string | undefined;
  maxFrameBytes: number;
  /** How long to wait for a shard to accept the connection and open its slice. */
  connectTimeoutMs: number;
  /** Ping each shard this often… */
  pingMs: number;
  /** …and count it lost when nothing came back for this long (a host gone without closing its sockets). */
  silentTimeoutMs: number;
  /** The codec of weights frames shards send workers. */
  weightsCompression: string;
  maxGradientAbs: number;
  gradientSpikeFactor: number;
}

/** What the plane tells its owner (the coordinator): receipts, and a shard gone. */
export interface ShardPlaneEvents {
  receipt(shard: number, r: Receipt): void;
  lost(shard: number, why: string): void;
}

/** The whole parameter vector (and optimizer state) gathered from every shard at one version. */
export interface GatheredState extends ParameterStoreState {
  /** Bytes each shard received and sent so far (and of those, push frames in and weights frames out). */
  traffic: { bytesIn: number; bytesOut: number; gradientBytes: number; weightBytes: number }[];
}

interface Link {
  index: number;
  range: KeyRange;
  url: string;
  ws: WebSocket;
}

/**
 * The coordinator's side of the shard plane: one connection per shard. It opens each slice (from the
 * coordinator's weights and optimizer state: fresh, or a checkpoint's), then sends verdicts, deliveries
 * and forgets to every shard in one order, and gathers the slices back for evaluation and checkpoints.
 * Each connection is ordered, so a `deliver` sent after a verdict is served with the weights that
 * verdict made, on every shard, without waiting for a reply.
 */
export class ShardPlane {
  private events: ShardPlaneEvents | undefined;
  private pendingDeliveries = new Set<string>();
  private deliveryVersion = 0;
  private deliveryQueued = false;
  private requestId = 0;
  private readonly fetches = new Map<number, { replies: (SliceState | undefined)[]; left: number; resolve: (s: SliceState[]) => void; reject: (e: unknown) => void }>();
  private closed = false;

  private constructor(
    private readonly opts: ShardPlaneOptions,
    private readonly links: Link[],
    /** Key of the members' tickets: shards check them, only this coordinator can make them. */
    private readonly ticketKey: string,
    private readonly log: Logger,
    private readonly clock: Clock,
  ) {}

  /** The shards' places, as workers are told them. */
  get routes(): ShardRoute[] {
    return this.links.map((l) => ({ url: l.url, start: l.range.start, end: l.range.end }));
  }

  get count(): number {
    return this.links.length;
  }

  /** What member `workerId` presents to every shard. */
  ticket(runId: string, workerId: string): string {
    return shardTicket(this.ticketKey, runId, workerId);
  }

  /**
   * Connects to every shard and opens its slice of `state` (weights and optimizer state at
   * `state.version`); resolves once every shard is ready at that version.
   */
  static async connect(
    opts: ShardPlaneOptions,
    init: { runId: string; ranges: readonly KeyRange[]; state: ParameterStoreState; learningRate: number; mask: Uint8Array | undefined },
    log: Logger,
    clock: Clock,
  ): Promise<ShardPlane> {
    if (opts.urls.length !== init.ranges.length) throw new CoordinatorError('PS_ERR_BAD_OPTION', `${opts.urls.length} shard URLs for ${init.ranges.length} key ranges`, { field: 'shards' });
    const ticketKey = newTicketKey();
    // The clock's timers do not hold the process open; between two tries at a shard that is not
    // listening yet nothing else may, so the wait holds it (as a reconnecting worker does).
    const keepAlive = setInterval(() => undefined, 60_000);
    const opened = await Promise.allSettled(opts.urls.map((url, index) => openLink(opts, url, index, { ...init, ticketKey }, log, clock))).finally(() => clearInterval(keepAlive));
    const failed = opened.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) {
      // The shards that did open must not keep this process (or their slices) alive.
      for (const o of opened) if (o.status === 'fulfilled') o.value.ws.terminate();
      throw failed.reason;
    }
    return new ShardPlane(opts, opened.map((o) => (o as PromiseFulfilledResult<Link>).value), ticketKey, log, clock);
  }

  /** Wires receipts and losses to their owner; until then nothing is read. */
  listen(events: ShardPlaneEvents): void {
    this.events = events;
    for (const l of this.links) {
      const clock = this.clock;
      let heard = clock.monotonic();
      l.ws.on('pong', () => (heard = clock.monotonic()));
      const ping = clock.setInterval(() => {
        if (clock.monotonic() - heard > this.opts.silentTimeoutMs) {
          clock.clearInterval(ping);
          this.log.error('a shard stopped answering', { shard: l.index, silentMs: clock.monotonic() - heard });
          l.ws.terminate();
          return;
        }
        if (l.ws.readyState === WebSocket.OPEN) l.ws.ping();
      }, this.opts.pingMs);
      l.ws.once('close', () => clock.clearInterval(ping));
      l.ws.on('message', (data: Buffer) => {
        heard = clock.monotonic();
        this.message(l, data);
      });
      l.ws.on('close', (code, reason) => {
        if (this.closed) return;
        this.failFetches(new CoordinatorError('PS_ERR_SHARD_LOST', `shard ${l.index} (${l.url}) is gone`));
        this.events?.lost(l.index, `connection closed (${code} ${reason.toString()})`);
      });
      l.ws.on('error', (err) => this.log.warn('shard connection error', { shard: l.index, error: err.message }));
    }
  }

  /** Update `version` is made of these pushes, on every shard, before anything sent after it. */
  verdict(version: number, learningRate: number, parts: UpdatePart[]): void {
    this.flushDeliveries();
    this.broadcast({ type: 'verdict', v: PROTOCOL_VERSION, version, learningRate, parts });
  }

  /** `workerId` is about to compute on `version`: every shard sends it its slice (batched per tick). */
  deliver(workerId: string, version: number): void {
    if (version !== this.deliveryVersion) this.flushDeliveries();
    this.deliveryVersion = version;
    this.pendingDeliveries.add(workerId);
    if (this.deliveryQueued) return;
    this.deliveryQueued = true;
    queueMicrotask(() => this.flushDeliveries());
  }

  /** A push that will never be applied: its held slices can go. */
  forget(workerId: string, step: number): void {
    this.flushDeliveries();
    this.broadcast({ type: 'forget', v: PROTOCOL_VERSION, workerId, step });
  }

  /** Every slice (and with `optimizer`, its optimizer state), all at the same version. */
  async gather(optimizer: boolean): Promise<GatheredState> {
    this.flushDeliveries();
    const requestId = ++this.requestId;
    const replies = await new Promise<SliceState[]>((resolve, reject) => {
      this.fetches.set(requestId, { replies: new Array(this.links.length), left: this.links.length, resolve, reject });
      this.broadcast({ type: 'fetch', v: PROTOCOL_VERSION, requestId, optimizer });
    });
    const version = replies[0]!.version;
    if (replies.some((r) => r.version !== version)) {
      throw new CoordinatorError('PS_ERR_SHARD_MISMATCH', `shards answered at different versions: ${replies.map((r) => r.version).join(', ')}`);
    }
    const total = this.links.at(-1)!.range.end;
    const weights = new Float32Array(total);
    const slotNames = replies[0]!.optimizer?.slots ?? [];
    const slots: Record<string, Float32Array> = Object.fromEntries(slotNames.map((n) => [n, new Float32Array(total)]));
    replies.forEach((r, i) => {
      const { start, end } = this.links[i]!.range;
      const size = end - start;
      const data = r.state.codec === 'fp32' ? r.state.data : new Float32Array(0);
      if (data.length !== size * (1 + (r.optimizer?.slots.length ?? 0))) throw new CoordinatorError('PS_ERR_SHARD_MISMATCH', `shard ${i} sent a slice of the wrong length`);
      weights.set(data.subarray(0, size), start);
      (r.optimizer?.slots ?? []).forEach((n, k) => slots[n]?.set(data.subarray((k + 1) * size, (k + 2) * size), start));
    });
    const first = replies[0]!.optimizer;
    const opt: OptimizerState = { kind: first?.kind ?? 'adam', step: first?.step ?? 0, slots };
    return { version, weights, optimizer: opt, traffic: replies.map((r) => r.traffic ?? { bytesIn: 0, bytesOut: 0, gradientBytes: 0, weightBytes: 0 }) };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.failFetches(new CoordinatorError('PS_ERR_STOPPED', 'the coordinator closed its shard connections'));
    await Promise.all(
      this.links.map(
        (l) =>
          new Promise<void>((resolve) => {
            if (l.ws.readyState === WebSocket.CLOSED) return resolve();
            l.ws.once('close', () => resolve());
            l.ws.close(1000, 'run over');
            setTimeout(() => {
              l.ws.terminate();
              resolve();
            }, 2_000).unref();
          }),
      ),
    );
  }

  private flushDeliveries(): void {
    this.deliveryQueued = false;
    if (this.pendingDeliveries.size === 0) return;
    const workers = [...this.pendingDeliveries];
    this.pendingDeliveries.clear();
    this.broadcast({ type: 'deliver', v: PROTOCOL_VERSION, version: this.deliveryVersion, workers });
  }

  private broadcast(msg: Message): void {
    const frame = encodeMessage(msg);
    for (const l of this.links) {
      if (l.ws.readyState !== WebSocket.OPEN) continue;
      l.ws.send(frame, { binary: true });
    }
  }

  private message(l: Link, data: Buffer): void {
    let msg: Message;
    try {
      msg = decodeMessage(data);
    } catch (err) {
      this.log.error('undecodable frame from a shard', { shard: l.index, error: String((err as Error).message) });
      return;
    }
    switch (msg.type) {
      case 'receipt':
        return this.events?.receipt(l.index, msg);
      case 'slice-state': {
        const f = this.fetches.get(msg.replyTo);
        if (!f || f.replies[l.index]) return;
        f.replies[l.index] = msg;
        if (--f.left === 0) {
          this.fetches.delete(msg.replyTo);
          f.resolve(f.replies as SliceState[]);
        }
        return;
      }
      case 'error':
        this.log.error('a shard refused the coordinator', { shard: l.index, code: msg.code, message: msg.message });
        return;
      default:
        this.log.warn('unexpected message from a shard', { shard: l.index, type: msg.type });
    }
  }

  private failFetches(err: unknown): void {
    for (const f of this.fetches.values()) f.reject(err);
    this.fetches.clear();
  }
}

/** A connection refused or reset before the shard answered: it may still be starting, so it is tried again. */
const RETRY_MS = 500;

/**
 * Connects to one shard and opens its slice; resolves when it is ready at the state's version. A
 * shard that is not listening yet (started beside the coordinator, or restarting after a crash) is
 * tried again every RETRY_MS until `connectTimeoutMs`; a shard that answers and refuses is final.
 */
function openLink(
  opts: ShardPlaneOptions,
  url: string,
  index: number,
  init: { runId: string; ranges: readonly KeyRange[]; state: ParameterStoreState; learningRate: number; mask: Uint8Array | undefined; ticketKey: string },
  log: Logger,
  clock: Clock,
): Promise<Link> {
  const range = init.ranges[index]!;
  const size = range.end - range.start;
  const slotNames = Object.keys(init.state.optimizer.slots);
  const state = new Float32Array(size * (1 + slotNames.length));
  state.set(init.state.weights.subarray(range.start, range.end));
  slotNames.forEach((n, k) => state.set(init.state.optimizer.slots[n]!.subarray(range.start, range.end), (k + 1) * size));
  const deadline = clock.monotonic() + opts.connectTimeoutMs;
  return new Promise<Link>((resolve, reject) => {
    let ws: WebSocket | undefined;
    let settled = false;
    const timer = clock.setTimeout(() => {
      ws?.terminate();
      fail(`did not open its slice within ${opts.connectTimeoutMs} ms`);
    }, opts.connectTimeoutMs);
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      ws?.terminate();
      reject(new CoordinatorError('PS_ERR_SHARD_LOST', `shard ${index} (${url}): ${why}`));
    };
    const attempt = (): void => {
      if (settled) return;
      const socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: opts.maxFrameBytes, ...(opts.token !== undefined ? { headers: { authorization: bearerHeader(opts.token) } } : {}) });
      ws = socket;
      socket.binaryType = 'nodebuffer';
      let opened = false;
      // An HTTP answer to the upgrade (401: the token) is the shard's word, not a shard still starting.
      socket.once('unexpected-response', (_req, res) => fail(`refused the connection (HTTP ${res.statusCode ?? '?'})`));
      socket.once('error', (err) => {
        if (opened || clock.monotonic() + RETRY_MS >= deadline) return fail(err.message);
        log.debug('shard not reachable yet; trying again', { shard: index, url, error: err.message });
        clock.setTimeout(attempt, RETRY_MS);
      });
      socket.once('open', () => {
        opened = true;
        socket.send(
          encodeMessage({
            type: 'shard-open',
            v: PROTOCOL_VERSION,
            ...(opts.token !== undefined ? { token: opts.token } : {}),
            runId: init.runId,
            index,
            start: range.start,
            end: range.end,
            version: init.state.version,
            state: { codec: 'fp32', length: state.length, data: state },
            optimizer: { kind: init.state.optimizer.kind, learningRate: init.learningRate, step: init.state.optimizer.step, slots: slotNames },
            ...(init.mask ? { mask: init.mask.slice(range.start, range.end) } : {}),
            weightsCompression: opts.weightsCompression,
            ticketKey: init.ticketKey,
            maxGradientAbs: opts.maxGradientAbs,
            gradientSpikeFactor: opts.gradientSpikeFactor,
          }),
          { binary: true },
        );
      });
      socket.once('close', () => {
        if (opened) fail('closed the connection before its slice was open');
      });
      socket.once('message', (data: Buffer) => {
        let msg: Message;
        try {
          msg = decodeMessage(data);
        } catch {
          return fail('answered with an undecodable frame');
        }
        if (msg.type === 'error') return fail(`refused: ${msg.code}: ${msg.message}`);
        if (msg.type !== 'shard-ready' || msg.index !== index || msg.version !== init.state.version) return fail(`answered ${msg.type} instead of being ready at version ${init.state.version}`);
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.removeAllListeners('close');
        log.info('shard ready', { shard: index, url, start: range.start, end: range.end, version: msg.version });
        resolve({ index, range, url, ws: socket });
      });
    };
    attempt();
  });
}
