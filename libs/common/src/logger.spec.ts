import { describe, expect, it } from 'vitest';
import { createLineLogger } from './logger';

describe('createLineLogger', () => {
  it('filters below its level and carries bound fields into children', () => {
    const lines: string[] = [];
    const log = createLineLogger('info', (l) => lines.push(l));
    log.debug('hidden');
    log.info('shown', { a: 1 });
    log.child({ worker: 'w1' }).warn('careful', { b: 'x' });
    expect(lines).toEqual(['[info] shown a=1', '[warn] careful worker=w1 b=x']);
  });
  it('silent drops everything', () => {
    const lines: string[] = [];
    const log = createLineLogger('silent', (l) => lines.push(l));
    log.error('nope');
    expect(lines).toEqual([]);
  });
});
