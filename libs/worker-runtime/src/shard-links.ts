import type { Clock, Logger } from '@dtrain/common';
import { isCodedError } from '@dtrain/common';
import type { EncodedTensor, Message, ShardRoute } from '@dtrain/protocol';
import { CLOSE_CODES, PROTOCOL_VERSION, decodeMessage, encodeMessage } from '@dtrain/protocol';
import { WeightsApplier } from '@dtrain/weights-sync';
import type { ReconnectPolicy } from './worker-options';
import { ReconnectSchedule } from './reconnect-schedule';
import type { WorkerHost, WorkerSocket } from './worker-host';

/** One shard as this worker sees it: its range, its socket and its slice of our weights. */
interface Link {
  route: ShardRoute;
  socket: WorkerSocket | undefined;
  applier: WeightsApplier;
  reconnect: ReconnectSchedule;
}

export interface ShardLinksOptions {
  workerId: string;
  runId: string;
  ticket: string;
  maxFrameBytes: number;
  reconnect: ReconnectPolicy;
}

/**
 * A worker's connections to the parameter shards: it attaches to each with its ticket, keeps each
 * slice of its weights in step with that shard (full, delta and compressed frames, as from one
 * server), sends each shard its slice of every push, and reconnects a shard link that drops (a
 * fresh attach brings that slice in full). The coordinator's connection stays the control channel.
 */
export class ShardLinks {
  private readonly links: Link[];
  private readonly weights: Float32Array;
  private waiters: (() => void)[] = [];
  private closed = false;
  /** Bumped by `interrupt`: a wait that began before gives up at once. */
  private epoch = 0;

  constructor(
    readonly routes: readonly ShardRoute[],
    private readonly host: WorkerHost,
    private readonly opts: ShardLinksOptions,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.weights = new Float32Array(routes.at(-1)!.end);
    this.links = routes.map((route) => ({
      route,
      socket: undefined,
      applier: new WeightsApplier(route.end - route.start, (w) => this.weights.set(w, route.start)),
      reconnect: new ReconnectSchedule(opts.reconnect, clock),
    }));
    this.links.forEach((l) => this.connect(l));
  }

  /** The same routes and ticket: a welcome after a reconnect can keep these links. */
  serves(routes: readonly ShardRoute[], ticket: string): boolean {
    return ticket === this.opts.ticket && JSON.stringify(routes) === JSON.stringify(this.routes);
  }

  /** The lowest version any slice is at (−1 until every shard sent one). */
  get version(): number {
    return Math.min(...this.links.map((l) => l.applier.version));
  }

  /** Every slice is at `version` exactly (BSP), or at least at it (ASP/SSP take newer weights). */
  holds(version: number, exact: boolean): boolean {
    return this.links.every((l) => (exact ? l.applier.version === version : l.applier.version >= version));
  }

  /** Resolves true once `holds(version, exact)`, false after `timeoutMs`. */
  waitFor(version: number, exact: boolean, timeoutMs: number): Promise<boolean> {
    if (this.holds(version, exact)) return Promise.resolve(true);
    const began = this.epoch;
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve(false);
      }, timeoutMs);
      const check = (): void => {
        if (!this.holds(version, exact) && !this.closed && this.epoch === began) return;
        this.clock.clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve(this.holds(version, exact));
      };
      this.waiters.push(check);
    });
  }

  /** The whole weight vector, as the slices now hold it. */
  current(): Float32Array {
    return this.weights;
  }

  /**
   * Sends shard k its slice of a push (the coordinator gets the header). Called slice by slice as
   * each is encoded, so a slice is on the wire while the next one is being compressed.
   */
  pushSlice(k: number, header: { step: number; baseVersion: number; samples: number; loss: number; computeMs: number }, slice: EncodedTensor): boolean {
    const l = this.links[k]!;
    if (!l.socket?.open) return false;
    l.socket.send(encodeMessage({ type: 'push', v: PROTOCOL_VERSION, workerId: this.opts.workerId, ...header, grad: slice }));
    return true;
  }

  /** The coordinator's connection is gone: work waiting for weights gives up (it will be handed out again). */
  interrupt(): void {
    this.epoch++;
    for (const w of [...this.waiters]) w();
  }

  /** Drops every link and attaches again (full weights of every slice follow). */
  resync(): void {
    for (const l of this.links) l.socket?.close(CLOSE_CODES.resync, 'resync weights');
  }

  close(): void {
    this.closed = true;
    for (const l of this.links) {
      l.socket?.close(CLOSE_CODES.normal, 'leaving');
      l.socket?.detach();
    }
    for (const w of [...this.waiters]) w();
  }

  private connect(l: Link): void {
    if (this.closed) return;
    const socket = this.host.openSocket(l.route.url, undefined, this.opts.maxFrameBytes, {
      open: () => {
        socket.send(encodeMessage({ type: 'attach', v: PROTOCOL_VERSION, workerId: this.opts.workerId, runId: this.opts.runId, ticket: this.opts.ticket }));
      },
      message: (raw) => this.message(l, socket, raw),
      refused: (status) => this.log.warn('a shard refused the connection', { shard: l.route.url, status }),
      error: (message) => this.log.debug('shard socket error', { shard: l.route.url, error: message }),
      close: (code, reason) => {
        if (this.closed) return;
        // What that shard sends next is a full slice (a fresh attach); what we held is kept until then.
        const delay = l.reconnect.next() ?? this.opts.reconnect.maxDelayMs;
        this.log.info('shard link lost; reconnecting', { shard: l.route.url, code, reason, delayMs: Math.round(delay) });
        this.clock.setTimeout(() => this.connect(l), delay);
      },
    });
    l.socket = socket;
  }

  private message(l: Link, socket: WorkerSocket, raw: Uint8Array): void {
    let msg: Message;
    try {
      msg = decodeMessage(raw, { maxFrameBytes: this.opts.maxFrameBytes });
    } catch (err) {
      this.log.error('undecodable frame from a shard', { shard: l.route.url, code: isCodedError(err) ? err.code : 'unknown' });
      return socket.close(CLOSE_CODES.policy, 'bad frame');
    }
    if (msg.type === 'weights') {
      l.reconnect.joined();
      if (l.applier.apply(msg) !== 'applied') return socket.close(CLOSE_CODES.resync, 'resync weights');
      for (const w of [...this.waiters]) w();
      return;
    }
    if (msg.type === 'error') return this.log.warn('shard error', { shard: l.route.url, code: msg.code, message: msg.message, fatal: msg.fatal });
    this.log.warn('unexpected message from a shard', { shard: l.route.url, type: msg.type });
  }
}
