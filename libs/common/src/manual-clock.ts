import type { Clock, TimerHandle } from './clock';

interface Pending {
  id: number;
  at: number;
  fn: () => void;
  every: number | undefined;
}

/** A Clock for tests: time moves only when `advance` is called, and due timers fire in order. */
export class ManualClock implements Clock {
  private time: number;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }
  monotonic(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, undefined);
  }
  clearTimeout(h: TimerHandle): void {
    this.pending.delete(h.id);
  }
  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, Math.max(1, ms));
  }
  clearInterval(h: TimerHandle): void {
    this.pending.delete(h.id);
  }

  /** Moves time forward by `ms`, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let next: Pending | undefined;
      for (const p of this.pending.values()) if (p.at <= end && (!next || p.at < next.at)) next = p;
      if (!next) break;
      this.time = next.at;
      if (next.every === undefined) this.pending.delete(next.id);
      else next.at += next.every;
      next.fn();
    }
    this.time = end;
  }

  get timerCount(): number {
    return this.pending.size;
  }

  private add(fn: () => void, ms: number, every: number | undefined): TimerHandle {
    const id = this.nextId++;
    this.pending.set(id, { id, at: this.time + Math.max(0, ms), fn, every });
    return { id };
  }
}
