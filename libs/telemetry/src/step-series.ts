import type { StepPoint } from './run-snapshot';

/**
 * Step points with bounded memory: every point is kept until `max`, then every other one is
 * dropped and only every 2nd (4th, …) new step is kept. A long run keeps its whole shape at a
 * coarser grain instead of only its tail.
 */
export class StepSeries {
  private points: StepPoint[] = [];
  private stride = 1;
  private seen = 0;

  constructor(private readonly max: number) {
    if (!Number.isInteger(max) || max < 2) throw new RangeError('max must be an integer >= 2');
  }

  /** Returns true when the point was kept (and so should be shown to viewers). */
  add(p: StepPoint): boolean {
    const keep = this.seen % this.stride === 0;
    this.seen++;
    if (!keep) return false;
    this.points.push(p);
    if (this.points.length > this.max) {
      this.points = this.points.filter((_, i) => i % 2 === 0);
      this.stride *= 2;
    }
    return true;
  }

  get all(): readonly StepPoint[] {
    return this.points;
  }

  get currentStride(): number {
    return this.stride;
  }
}
