import type { Clock, Logger } from '@dtrain/common';

/** Refusal lines logged per window; beyond it they are counted and summarised once per window. */
export const DEFAULT_REFUSAL_LOG_BURST = 20;
export const DEFAULT_REFUSAL_LOG_WINDOW_MS = 10_000;

/**
 * Logs refused frames without letting a flood of them flood the log: the first `burst` of each
 * window are logged one by one, the rest are counted by code and reported in one line when the
 * next window opens.
 */
export class RefusalLog {
  private windowStart = Number.NEGATIVE_INFINITY;
  private logged = 0;
  private suppressed = new Map<string, number>();

  constructor(
    private readonly o: { log: Logger; clock: Clock; burst?: number; windowMs?: number },
  ) {}

  refused(fields: { code: string } & Record<string, unknown>): void {
    const now = this.o.clock.monotonic();
    if (now - this.windowStart >= (this.o.windowMs ?? DEFAULT_REFUSAL_LOG_WINDOW_MS)) this.openWindow(now);
    if (this.logged < (this.o.burst ?? DEFAULT_REFUSAL_LOG_BURST)) {
      this.logged++;
      this.o.log.warn('refused a frame', fields);
      return;
    }
    this.suppressed.set(fields.code, (this.suppressed.get(fields.code) ?? 0) + 1);
  }

  private openWindow(now: number): void {
    if (this.suppressed.size > 0) {
      const byCode = Object.fromEntries(this.suppressed);
      const total = [...this.suppressed.values()].reduce((a, b) => a + b, 0);
      this.o.log.warn('refused more frames than were logged', { suppressed: total, by_code: byCode });
      this.suppressed = new Map();
    }
    this.windowStart = now;
    this.logged = 0;
  }
}
