import type { Clock, Logger, TimerHandle } from '@dtrain/common';
import { isCodedError } from '@dtrain/common';
import type { Join, Message, ProtocolErrorCode, WireErrorCode } from '@dtrain/protocol';
import { CLOSE_CODES, decodeMessage, encodeMessage, errorMessage } from '@dtrain/protocol';
import type { Peer } from './member';
import { RefusalLog } from './refusal-log';
import type { RunAccounting } from './run-accounting';
import type { ServerOptions } from './server-options';
import { TokenBucket } from './token-bucket';

/** What the gate hands on: the first (join) message of a connection, and every later one. */
export interface GateHandlers {
  join(peer: Peer, msg: Join): void;
  /** A frame of a connection that has joined as `workerId`. */
  message(peer: Peer, workerId: string, msg: Message, bytes: number): void;
  /** A connection that had joined as `workerId` is gone. */
  closed(peer: Peer, workerId: string): void;
}

interface Connection {
  readonly peer: Peer;
  readonly bucket: TokenBucket;
  strikes: number;
  helloTimer: TimerHandle | undefined;
  workerId: string | undefined;
}

/**
 * Every connection before it is a member, and every frame before it is a message: the per-connection
 * rate limit, the join deadline, decoding (with the frame and tensor limits), refusals with their
 * wire error and close code. Nothing gets past it undecoded or unjoined.
 */
export class ConnectionGate {
  private readonly connections = new Map<number, Connection>();
  private readonly refusals: RefusalLog;

  constructor(
    private readonly o: {
      options: ServerOptions;
      clock: Clock;
      log: Logger;
      accounting: RunAccounting;
      /** Largest tensor a frame may carry (the model's size). */
      maxTensorLength: number;
      handlers: GateHandlers;
    },
  ) {
    this.refusals = new RefusalLog({ log: o.log, clock: o.clock });
  }

  connect(peer: Peer): void {
    const { options, clock } = this.o;
    const c: Connection = { peer, bucket: new TokenBucket(options.rateLimit.framesPerSec, options.rateLimit.burst, clock), strikes: 0, helloTimer: undefined, workerId: undefined };
    c.helloTimer = clock.setTimeout(() => {
      if (!c.workerId) this.refuse(peer, 'PS_ERR_NOT_JOINED', `no join within ${options.helloTimeoutMs} ms`, true);
    }, options.helloTimeoutMs);
    this.connections.set(peer.id, c);
  }

  disconnect(peer: Peer): void {
    const c = this.connections.get(peer.id);
    if (!c) return;
    this.connections.delete(peer.id);
    if (c.helloTimer) this.o.clock.clearTimeout(c.helloTimer);
    if (c.workerId) this.o.handlers.closed(peer, c.workerId);
  }

  /** The connection joined as `workerId`: its later frames are that member's. */
  bind(peer: Peer, workerId: string): void {
    const c = this.connections.get(peer.id);
    if (!c) return;
    if (c.helloTimer) this.o.clock.clearTimeout(c.helloTimer);
    c.helloTimer = undefined;
    c.workerId = workerId;
    peer.admitted?.();
  }

  frame(peer: Peer, bytes: Uint8Array): void {
    try {
      this.onFrame(peer, bytes);
    } catch (err) {
      // Input is validated before it touches state, so this is a bug of ours: lose one connection, not the run.
      this.o.log.error('internal error while handling a frame', { peer: peer.id, error: String((err as Error)?.stack ?? err) });
      peer.close(CLOSE_CODES.internal, 'internal error');
      this.disconnect(peer);
    }
  }

  /** The transport refused a frame itself (oversized, not WebSocket): count and log it like ours. */
  transportError(peer: Peer, code: ProtocolErrorCode, message: string): void {
    this.o.accounting.rejected(code);
    this.refusals.refused({ peer: peer.id, remote: peer.remote, code, message, fatal: true });
  }

  /** Tells the peer why (a wire error), and with `fatal` closes it with the matching close code. */
  refuse(peer: Peer, code: WireErrorCode | ProtocolErrorCode, message: string, fatal: boolean, replyTo?: number): void {
    this.o.accounting.rejected(code);
    this.refusals.refused({ peer: peer.id, remote: peer.remote, code, message, fatal });
    try {
      peer.send(encodeMessage(errorMessage(code, message.slice(0, 1000), fatal, replyTo)));
    } catch {
      // The socket may already be gone; closing below is what matters.
    }
    if (fatal) {
      peer.close(code === 'PROTO_ERR_FRAME_TOO_LARGE' ? CLOSE_CODES.tooBig : CLOSE_CODES.policy, code);
      this.disconnect(peer);
    }
  }

  /** Closes every connection (the run is over, or this server is going away). */
  closeAll(code: number, why: string): void {
    for (const c of this.connections.values()) {
      if (c.helloTimer) this.o.clock.clearTimeout(c.helloTimer);
      c.peer.close(code, why);
    }
    this.connections.clear();
  }

  private onFrame(peer: Peer, bytes: Uint8Array): void {
    const c = this.connections.get(peer.id);
    if (!c) return;
    const { options, clock, accounting } = this.o;
    accounting.totals.bytesIn += bytes.byteLength;
    if (!c.bucket.take()) {
      c.strikes++;
      // Sustained abuse (a burst's worth of refusals in a row) closes the connection.
      this.refuse(peer, 'PS_ERR_RATE_LIMITED', 'too many frames', c.strikes > options.rateLimit.burst);
      return;
    }
    c.strikes = 0;
    let msg: Message;
    const t0 = clock.monotonic();
    try {
      msg = decodeMessage(bytes, { maxFrameBytes: options.maxFrameBytes, maxTensorLength: Math.max(this.o.maxTensorLength, 1) });
      accounting.totals.decodeMs += clock.monotonic() - t0;
    } catch (err) {
      const code = (isCodedError(err) ? err.code : 'PROTO_ERR_MALFORMED') as ProtocolErrorCode;
      this.refuse(peer, code, isCodedError(err) ? err.message : 'undecodable frame', true);
      return;
    }
    if (!c.workerId) {
      if (msg.type !== 'join') return this.refuse(peer, 'PS_ERR_NOT_JOINED', `expected join, got ${msg.type}`, true);
      return this.o.handlers.join(peer, msg);
    }
    this.o.handlers.message(peer, c.workerId, msg, bytes.byteLength);
  }
}
