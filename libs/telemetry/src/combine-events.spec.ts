import { describe, expect, it } from 'vitest';
import { combineEvents } from './combine-events';

describe('combineEvents', () => {
  it('calls every part’s handler in order with the same arguments, and skips absent parts', () => {
    const calls: string[] = [];
    const e = combineEvents(
      { frameRejected: (c) => calls.push(`a:${c}`), epochStarted: (n) => calls.push(`a:epoch${n}`) },
      undefined,
      { frameRejected: (c) => calls.push(`b:${c}`) },
    );
    e.frameRejected?.('X');
    e.epochStarted?.(3);
    expect(calls).toEqual(['a:X', 'b:X', 'a:epoch3']);
    expect(e.stepCompleted).toBeUndefined();
  });
});
