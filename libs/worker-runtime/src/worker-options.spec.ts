import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_RECONNECT, defaultWorkerId, resolveWorkerOptions, stragglerWaitMs } from './worker-options';

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, with jitter inside [floor, cap]', () => {
    const p = { ...DEFAULT_RECONNECT, initialDelayMs: 100, maxDelayMs: 1000, factor: 2 };
    expect(backoffDelay(p, 0, () => 1)).toBe(100);
    expect(backoffDelay(p, 3, () => 1)).toBe(800);
    expect(backoffDelay(p, 10, () => 1)).toBe(1000);
    // Full jitter never drops below half the initial delay (no hot reconnect loop).
    expect(backoffDelay(p, 5, () => 0)).toBe(50);
    const seen = new Set(Array.from({ length: 20 }, (_, i) => backoffDelay(p, 4, () => i / 20)));
    expect(seen.size).toBeGreaterThan(10);
  });
});

describe('worker options', () => {
  it('default ids are valid protocol worker ids and unique', () => {
    const a = defaultWorkerId();
    expect(a).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
    expect(defaultWorkerId()).not.toBe(a);
  });
  it('keeps given values and fills the rest', () => {
    const o = resolveWorkerOptions({ serverUrl: 'ws://x:1', token: 't', artificialDelayMs: undefined });
    expect(o.token).toBe('t');
    expect(o.artificialDelayMs).toBe(0);
    expect(o.reconnect).toEqual(DEFAULT_RECONNECT);
  });
});

describe('stragglerWaitMs', () => {
  it('adds nothing by default, a fixed delay for --slow-ms, and (F-1)x the compute for --slow-factor', () => {
    const o = resolveWorkerOptions({ serverUrl: 'ws://x:1' });
    expect(o.slowdownFactor).toBe(1);
    expect(stragglerWaitMs(o, 30)).toBe(0);
    expect(stragglerWaitMs({ artificialDelayMs: 40, slowdownFactor: 1 }, 30)).toBe(40);
    // A device 3x slower: a 30 ms compute becomes a 90 ms step, a 10 ms one a 30 ms step.
    expect(stragglerWaitMs({ artificialDelayMs: 0, slowdownFactor: 3 }, 30)).toBe(60);
    expect(stragglerWaitMs({ artificialDelayMs: 0, slowdownFactor: 3 }, 10)).toBe(20);
  });
});
