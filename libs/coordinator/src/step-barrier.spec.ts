import { describe, expect, it } from 'vitest';
import { StepBarrier } from './step-barrier';

const chunk = (...xs: number[]): Uint32Array => Uint32Array.from(xs);

describe('StepBarrier', () => {
  it('completes once every chunk is in, pooled ones included', () => {
    const b = new StepBarrier();
    expect(b.phase).toBe('idle');
    b.clear();
    b.handOut('a');
    b.handOut('b');
    b.park(chunk(5, 6));
    b.open(0);
    expect(b.phase).toBe('step');
    expect(b.release('a')).toBe(true);
    expect(b.release('b')).toBe(true);
    expect(b.complete(2)).toBe(false);
    expect(b.peekPooled()).toEqual(chunk(5, 6));
    expect(b.takePooled()).toEqual(chunk(5, 6));
    b.handOut('a');
    expect(b.complete(2)).toBe(false);
    b.release('a');
    expect(b.complete(3)).toBe(true);
  });

  it('with B backups completes at chunks - B pushes, never below one', () => {
    const b = new StepBarrier();
    for (const id of ['a', 'b', 'c']) b.handOut(id);
    b.open(1);
    b.release('a');
    expect(b.complete(1)).toBe(false);
    b.release('b');
    expect(b.complete(2)).toBe(true);

    const one = new StepBarrier();
    one.handOut('a');
    one.open(5);
    expect(one.complete(0)).toBe(false);
    expect(one.complete(1)).toBe(true);
  });

  it('says whether a released member was computing part of the step', () => {
    const b = new StepBarrier();
    b.handOut('a');
    b.open(0);
    expect(b.release('z')).toBe(false);
    expect(b.release('a')).toBe(true);
    expect(b.release('a')).toBe(false);
  });

  it('is never complete outside an open step', () => {
    const b = new StepBarrier();
    expect(b.complete(10)).toBe(false);
    b.open(0);
    b.close();
    expect(b.phase).toBe('between');
    expect(b.complete(10)).toBe(false);
    b.idle();
    expect(b.phase).toBe('idle');
    expect(b.complete(10)).toBe(false);
  });

  it('closing hands back the members still computing and the chunks never handed out, and forgets them', () => {
    const b = new StepBarrier();
    b.handOut('a');
    b.handOut('b');
    b.park(chunk(1));
    b.open(1);
    b.release('a');
    const { stragglers, unsent } = b.close();
    expect(stragglers).toEqual(['b']);
    expect(unsent).toEqual([chunk(1)]);
    expect(b.pooled).toEqual([]);
    expect(b.release('b')).toBe(false);
  });
});
