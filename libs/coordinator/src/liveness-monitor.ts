import type { Clock, TimerHandle } from '@dtrain/common';
import type { Member } from './member';

/** How far past its period the liveness check may run before we blame our own stalled event loop. */
const STALL_TOLERANCE = 0.5;
/** Checks never run more often than this (ms), whatever the heartbeat. */
const MIN_PERIOD_MS = 10;

export interface LivenessDeps {
  clock: Clock;
  heartbeatMs: number;
  heartbeatTimeoutMs: number;
  members: () => Iterable<Member>;
  /** The server is busy on purpose (evaluating): silence then is ours, not the workers'. */
  paused: () => boolean;
  /** An active member sent nothing for longer than the heartbeat timeout. */
  timedOut: (m: Member, silentMs: number) => void;
  /** Run with every check that is not skipped (further timeouts of the owner's). */
  alsoCheck?: () => void;
}

/** Finds workers that went silent, checking twice per heartbeat period. */
export class LivenessMonitor {
  private timer: TimerHandle | undefined;
  private lastRun = 0;
  private readonly period: number;

  constructor(private readonly d: LivenessDeps) {
    this.period = Math.max(MIN_PERIOD_MS, Math.floor(d.heartbeatMs / 2));
  }

  start(): void {
    this.lastRun = this.d.clock.monotonic();
    this.timer = this.d.clock.setInterval(() => this.check(), this.period);
  }

  stop(): void {
    if (this.timer) this.d.clock.clearInterval(this.timer);
  }

  private check(): void {
    const { clock, heartbeatTimeoutMs } = this.d;
    const now = clock.monotonic();
    const period = this.period;
    const late = now - this.lastRun > period * (1 + STALL_TOLERANCE) + heartbeatTimeoutMs * STALL_TOLERANCE;
    this.lastRun = now;
    // Our own event loop stalled (evaluation, GC): frames from workers are still queued; don't blame them.
    if (late || this.d.paused()) {
      for (const m of this.d.members()) if (m.state === 'active') m.lastSeen = Math.max(m.lastSeen, now - period);
      return;
    }
    for (const m of [...this.d.members()]) {
      if (m.state === 'active' && now - m.lastSeen > heartbeatTimeoutMs) this.d.timedOut(m, now - m.lastSeen);
    }
    this.d.alsoCheck?.();
  }
}
