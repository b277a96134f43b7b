import { describe, expect, it } from 'vitest';
import { ManualClock } from './manual-clock';

describe('ManualClock', () => {
  it('fires timeouts when due, in order, and intervals repeatedly', () => {
    const c = new ManualClock(1000);
    const log: string[] = [];
    c.setTimeout(() => log.push('b'), 20);
    c.setTimeout(() => log.push('a'), 10);
    const i = c.setInterval(() => log.push('i'), 15);
    c.advance(9);
    expect(log).toEqual([]);
    c.advance(25);
    expect(log).toEqual(['a', 'i', 'b', 'i']);
    c.clearInterval(i);
    c.advance(100);
    expect(log).toHaveLength(4);
    expect(c.now()).toBe(1134);
  });
  it('cleared timeouts never fire', () => {
    const c = new ManualClock();
    let fired = false;
    const h = c.setTimeout(() => (fired = true), 5);
    c.clearTimeout(h);
    c.advance(10);
    expect(fired).toBe(false);
  });
});
