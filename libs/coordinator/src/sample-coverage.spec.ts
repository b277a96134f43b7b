import { describe, expect, it } from 'vitest';
import { SampleCoverage } from './sample-coverage';

describe('SampleCoverage', () => {
  it('reports missed and repeated samples of the epoch', () => {
    const c = new SampleCoverage(Uint32Array.from([3, 5, 7, 9]));
    c.add([3, 5]);
    c.add([5, 9]);
    expect(c.report(0)).toEqual({ epoch: 0, expected: 4, applied: 4, missed: 1, repeated: 1 });
  });

  it('is complete when every sample was applied once, and survives a snapshot', () => {
    const c = new SampleCoverage(Uint32Array.from([0, 1, 2]));
    c.add([2, 0]);
    const copy = new SampleCoverage(Uint32Array.from([0, 1, 2]));
    copy.restore(c.snapshot());
    copy.add([1]);
    expect(copy.report(1)).toEqual({ epoch: 1, expected: 3, applied: 3, missed: 0, repeated: 0 });
    copy.reset();
    expect(copy.report(2).missed).toBe(3);
  });
});
