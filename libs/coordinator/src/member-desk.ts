import type { Clock, Logger } from '@dtrain/common';
import type { Join, Message, Push } from '@dtrain/protocol';
import { CLOSE_CODES } from '@dtrain/protocol';
import type { ConnectionGate } from './connection-gate';
import { tokensMatch } from './auth';
import { admitJoin } from './join-admission';
import type { JoinBackoffOptions } from './join-backoff';
import { JoinBackoff, addressOf } from './join-backoff';
import type { Member, Peer } from './member';
import type { Membership } from './membership';
import type { Outbox } from './outbox';
import type { PushIntake } from './push-intake';
import type { RunTotals } from './coordinator-events';
import type { ServerOptions } from './server-options';

/**
 * A joined connection's messages, and the join that makes it a member: admission (token, codecs,
 * id, room), a reconnect replacing its own old connection, the welcome; then pushes (to the
 * intake), heartbeats, leaves and worker-side errors.
 */
export class MemberDesk {
  private readonly backoff: JoinBackoff;

  constructor(
    private readonly o: {
      options: ServerOptions;
      log: Logger;
      clock: Clock;
      gate: ConnectionGate;
      membership: Membership;
      outbox: Outbox;
      intake: PushIntake;
      /** Sharded: a push is judged once every shard has its slice (see ShardReceipts). */
      pushed?: (m: Member, msg: Push) => void;
      totals: RunTotals;
      /** Codec kinds a joining worker must list in its capabilities. */
      codecs: readonly string[];
      finished: () => boolean;
      /** A member joined (the run may start, or take it in). */
      joined: (m: Member) => void;
      remove: (m: Member, state: 'lost' | 'left', reason: string) => void;
      joinBackoff?: JoinBackoffOptions;
    },
  ) {
    this.backoff = new JoinBackoff(o.clock, o.joinBackoff);
  }

  join(peer: Peer, msg: Join): void {
    const { options, log, gate, membership } = this.o;
    const reply = msg.requestId;
    const verdict = admitJoin(msg, { token: options.token, finished: this.o.finished(), codecs: this.o.codecs, defaultId: membership.defaultId(peer) });
    if (!verdict.ok) {
      const hold = verdict.code.startsWith('AUTH_ERR_') ? this.backoff.failed(addressOf(peer.remote)) : 0;
      if (hold === 0) return gate.refuse(peer, verdict.code, verdict.message, true, reply);
      // Repeated failures from one address: the refusal (and the next guess on this connection) waits.
      this.o.clock.setTimeout(() => gate.refuse(peer, verdict.code, verdict.message, true, reply), hold);
      return;
    }
    const workerId = verdict.workerId;
    const existing = membership.get(workerId);
    if (existing && existing.state === 'active') {
      // Only the member itself (its session secret) may take over a connection that still looks alive.
      if (msg.session === undefined || !tokensMatch(msg.session, existing.session))
        return gate.refuse(peer, 'PS_ERR_WORKER_ID_IN_USE', `worker id ${workerId} has a live connection; a reconnect must present its session`, true, reply);
      // Same id and session: the worker reconnected before we noticed its old socket die.
      log.info('worker reconnected; replacing its old connection', { worker: workerId });
      const old = existing.peer;
      this.o.remove(existing, 'lost', 'replaced by a new connection');
      old.close(CLOSE_CODES.normal, 'replaced');
    } else if (membership.activeCount >= options.maxWorkers) return gate.refuse(peer, 'PS_ERR_SERVER_FULL', 'server full', true, reply);
    gate.bind(peer, workerId);
    const m = membership.add(peer, workerId, msg.capabilities);
    this.o.outbox.welcome(m, reply);
    log.info('worker joined', { worker: workerId, remote: peer.remote, backend: m.backend, active: membership.activeCount });
    this.o.joined(m);
  }

  /** An upgrade's bearer token, judged like a join's (constant time), with the same per-address backoff. */
  authenticate(token: string, address: string): { ok: boolean; holdMs: number } {
    const expected = this.o.options.token;
    if (expected === undefined || tokensMatch(token, expected)) return { ok: true, holdMs: 0 };
    return { ok: false, holdMs: this.backoff.failed(address) };
  }

  message(peer: Peer, workerId: string, msg: Message, bytes: number): void {
    const { gate, log } = this.o;
    const m = this.o.membership.get(workerId);
    if (!m || m.peer.id !== peer.id || m.state !== 'active') return gate.refuse(peer, 'PS_ERR_NOT_JOINED', 'not an active member', true);
    m.lastSeen = this.o.clock.monotonic();
    m.stats.bytesIn += bytes;
    switch (msg.type) {
      case 'push':
        this.o.totals.gradientBytes += bytes;
        // A member that pushes but does not read what we send cannot make the server queue for ever:
        // past the send-buffer bound it is cut off, and its batch goes to someone else.
        if (peer.backlogged?.()) return gate.refuse(peer, 'PS_ERR_SLOW_CONSUMER', 'the frames sent to this worker are not being read', true);
        return this.o.pushed ? this.o.pushed(m, msg) : this.o.intake.take(m, msg);
      case 'heartbeat':
        return this.o.membership.heartbeat(m, msg);
      case 'leave':
        log.info('worker leaves', { worker: m.workerId, reason: msg.reason });
        this.o.remove(m, 'left', msg.reason);
        peer.close(CLOSE_CODES.normal, 'bye');
        return;
      case 'error':
        log.warn('worker reported an error', { worker: m.workerId, code: msg.code, message: msg.message });
        if (msg.fatal) this.o.remove(m, 'lost', `worker error ${msg.code}`);
        return;
      default:
        return gate.refuse(peer, 'PS_ERR_UNEXPECTED_MESSAGE', `${msg.type} is not sent by workers`, false);
    }
  }
}
