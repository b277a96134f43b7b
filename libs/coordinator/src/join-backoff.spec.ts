import { describe, expect, it } from 'vitest';
import { ManualClock } from '@dtrain/common/testing';
import { JoinBackoff, addressOf } from './join-backoff';
import { createTestCluster } from './testing';

describe('JoinBackoff', () => {
  it('answers the first failures at once, then doubles the hold up to the cap, per address, and forgets after the window', () => {
    const clock = new ManualClock(0);
    const b = new JoinBackoff(clock, { freeFailures: 3, windowMs: 1_000, maxDelayMs: 50 });
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(() => b.failed('10.0.0.1'))).toEqual([0, 0, 0, 2, 4, 8, 16, 32]);
    expect(b.failed('10.0.0.1')).toBe(50);
    expect(b.failed('10.0.0.2')).toBe(0);
    clock.advance(1_001);
    expect(b.failed('10.0.0.1')).toBe(0);
  });

  it('takes the address from host:port, IPv6 included', () => {
    expect(addressOf('127.0.0.1:5123')).toBe('127.0.0.1');
    expect(addressOf('::ffff:10.1.2.3:80')).toBe('::ffff:10.1.2.3');
  });

  it('holds the refusal of a repeated bad token, and never delays a good join', () => {
    const c = createTestCluster({ token: 's3cret-s3cret-s3cret', joinBackoff: { freeFailures: 1, windowMs: 60_000, maxDelayMs: 500 } });
    const first = c.worker('a').join({ token: 'wrong-wrong-wrong-wrong' });
    expect(first.errors()).toHaveLength(1);
    const second = c.worker('b').join({ token: 'wrong-wrong-wrong-wrong' });
    expect(second.errors()).toHaveLength(0);
    c.clock.advance(2);
    expect(second.errors()).toEqual([expect.objectContaining({ code: 'AUTH_ERR_BAD_TOKEN', fatal: true })]);
    const good = c.worker('c').join();
    expect(good.peer.all('welcome')).toHaveLength(1);
  });
});
