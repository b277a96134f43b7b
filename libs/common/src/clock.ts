/**
 * Time as a dependency: everything that waits, times out or stamps takes a Clock, so tests drive
 * time with a ManualClock (see ./testing) instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Monotonic milliseconds for measuring durations. */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
}

export interface TimerHandle {
  readonly id: number;
}

let nextId = 1;

/** The real clock, backed by Node's timers. Timers are unref'd so they never keep a process alive alone. */
export function systemClock(): Clock {
  const timers = new Map<number, NodeJS.Timeout>();
  const wrap = (t: NodeJS.Timeout): TimerHandle => {
    t.unref?.();
    const id = nextId++;
    timers.set(id, t);
    return { id };
  };
  return {
    now: () => Date.now(),
    monotonic: () => performance.now(),
    setTimeout(fn, ms) {
      const h = wrap(
        setTimeout(() => {
          timers.delete(h.id);
          fn();
        }, ms),
      );
      return h;
    },
    clearTimeout(h) {
      const t = timers.get(h.id);
      if (t) clearTimeout(t);
      timers.delete(h.id);
    },
    setInterval(fn, ms) {
      return wrap(setInterval(fn, ms));
    },
    clearInterval(h) {
      const t = timers.get(h.id);
      if (t) clearInterval(t);
      timers.delete(h.id);
    },
  };
}
