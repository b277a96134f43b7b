import type { Clock } from '@dtrain/common';
import type { ReconnectPolicy } from './worker-options';
import { backoffDelay } from './worker-options';

/**
 * When to try the server again, and when to stop trying. The give-up clock starts when the worker
 * loses a working session (not when it last connected: an hour of training must not count as an
 * hour without a server), and both it and the backoff reset only once a join is welcomed, so a
 * server that accepts sockets but refuses joins is retried with growing delays, not in a hot loop.
 */
export class ReconnectSchedule {
  private attempt = 0;
  private lostAt: number | undefined;

  constructor(
    private readonly policy: ReconnectPolicy,
    private readonly clock: Clock,
    private readonly random: () => number = Math.random,
  ) {}

  /** A join was welcomed: the next loss starts a fresh schedule. */
  joined(): void {
    this.attempt = 0;
    this.lostAt = undefined;
  }

  /** The connection closed (or never opened): ms to wait before the next try, or undefined to give up. */
  next(): number | undefined {
    const now = this.clock.monotonic();
    this.lostAt ??= now;
    if (this.policy.giveUpAfterMs > 0 && now - this.lostAt > this.policy.giveUpAfterMs) return undefined;
    return backoffDelay(this.policy, this.attempt++, this.random);
  }

  /** How long the worker has been without a working session (0 while it has one). */
  get downForMs(): number {
    return this.lostAt === undefined ? 0 : this.clock.monotonic() - this.lostAt;
  }
}
