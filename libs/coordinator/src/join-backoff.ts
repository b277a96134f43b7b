import type { Clock } from '@dtrain/common';

export interface JoinBackoffOptions {
  /** Failed joins from one address within `windowMs` that are answered at once. */
  freeFailures: number;
  windowMs: number;
  /** Each failure beyond them waits twice as long as the last, up to this, before its refusal. */
  maxDelayMs: number;
}

export const DEFAULT_JOIN_BACKOFF: JoinBackoffOptions = { freeFailures: 20, windowMs: 60_000, maxDelayMs: 1_000 };

/** Addresses tracked at most (the oldest are forgotten): a flood of addresses cannot grow it. */
const MAX_ADDRESSES = 4_096;

/**
 * Slows token guessing: an address whose joins keep failing (wrong or missing token) gets its
 * refusals later and later. With at most `maxUnjoinedPerAddress` connections open at once, one
 * address makes at most that many guesses per `maxDelayMs`. Good joins are never delayed.
 */
export class JoinBackoff {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly o: JoinBackoffOptions = DEFAULT_JOIN_BACKOFF,
  ) {}

  /** Records a failed join from `address`; returns how long to hold its refusal (ms). */
  failed(address: string): number {
    const now = this.clock.monotonic();
    let f = this.failures.get(address);
    if (!f || now - f.since > this.o.windowMs) f = { count: 0, since: now };
    f.count++;
    this.failures.delete(address);
    this.failures.set(address, f);
    if (this.failures.size > MAX_ADDRESSES) this.failures.delete(this.failures.keys().next().value as string);
    const excess = f.count - this.o.freeFailures;
    return excess <= 0 ? 0 : Math.min(this.o.maxDelayMs, 2 ** Math.min(excess, 30));
  }
}

/** The address part of a peer's `host:port` (IPv6 addresses keep their colons). */
export function addressOf(remote: string): string {
  const i = remote.lastIndexOf(':');
  return i > 0 ? remote.slice(0, i) : remote;
}
