/**
 * Samples per second over the last `windowMs`: the rate a person watching the run cares about,
 * not the average since the start (which hides a slowdown for minutes).
 */
export class ThroughputWindow {
  private readonly times: number[] = [];
  private readonly counts: number[] = [];
  private head = 0;

  constructor(private readonly windowMs: number) {}

  add(at: number, samples: number): void {
    this.times.push(at);
    this.counts.push(samples);
    this.trim(at);
  }

  /** Rate at `now`: samples after the oldest event in the window over the time since it; 0 with fewer than two events. */
  rate(now: number): number {
    this.trim(now);
    const n = this.times.length - this.head;
    if (n < 2) return 0;
    const first = this.times[this.head]!;
    const span = now - first;
    if (span <= 0) return 0;
    let samples = 0;
    // The first event marks the window's start; its samples were computed before it.
    for (let i = this.head + 1; i < this.times.length; i++) samples += this.counts[i]!;
    return (samples / span) * 1000;
  }

  private trim(now: number): void {
    while (this.head < this.times.length && now - this.times[this.head]! > this.windowMs) this.head++;
    // Compact now and then so the arrays do not grow with the run.
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times.splice(0, this.head);
      this.counts.splice(0, this.head);
      this.head = 0;
    }
  }
}
