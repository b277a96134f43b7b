import { describe, expect, it } from 'vitest';
import { checkCompression, formatCompression, parseCompression, topkCount } from './compression-spec';
import { MAX_CHUNK } from './constants';

describe('parseCompression', () => {
  it('parses every supported form and round-trips through formatCompression', () => {
    expect(parseCompression('none')).toEqual({ kind: 'none' });
    expect(parseCompression(' FP16 ')).toEqual({ kind: 'fp16' });
    expect(parseCompression('int8')).toEqual({ kind: 'int8' });
    expect(parseCompression('int8:256')).toEqual({ kind: 'int8', chunk: 256 });
    expect(parseCompression('topk:0.01')).toEqual({ kind: 'topk', ratio: 0.01 });
    expect(parseCompression('topk:1')).toEqual({ kind: 'topk', ratio: 1 });
    expect(parseCompression('topk:1e-3')).toEqual({ kind: 'topk', ratio: 0.001 });
    expect(parseCompression(`int8:${MAX_CHUNK}`)).toEqual({ kind: 'int8', chunk: MAX_CHUNK });
    expect(parseCompression('int4')).toEqual({ kind: 'int4' });
    expect(parseCompression('INT4:128')).toEqual({ kind: 'int4', chunk: 128 });
    expect(parseCompression('int3')).toEqual({ kind: 'int3' });
    expect(parseCompression('int2:64')).toEqual({ kind: 'int2', chunk: 64 });
    expect(parseCompression('sign')).toEqual({ kind: 'sign' });
    expect(parseCompression('sign:1024')).toEqual({ kind: 'sign', chunk: 1024 });
    for (const s of ['none', 'fp16', 'int8', 'int8:64', 'int4', 'int4:64', 'int3', 'int2:8', 'sign', 'sign:2048', 'topk:0.25']) expect(formatCompression(parseCompression(s))).toBe(s);
  });

  it.each([
    '',
    'gzip',
    'fp16:2',
    'none:',
    'topk',
    'topk:',
    'topk:0',
    'topk:1.5',
    'topk:-0.1',
    'topk:abc',
    'topk:0x1',
    'topk:Infinity',
    'topk:0.1:2',
    'int8:0',
    'int8:1.5',
    'int8:-4',
    `int8:${MAX_CHUNK + 1}`,
    'int4:0',
    'int4:',
    'sign:x',
    'sign:2:3',
    'int1',
    'int5',
    'int3:0',
  ])('rejects %j with TRAIN_ERR_BAD_COMPRESSION', (s) => {
    expect(() => parseCompression(s)).toThrow(expect.objectContaining({ code: 'TRAIN_ERR_BAD_COMPRESSION' }));
  });

  it('checkCompression rejects bad objects too', () => {
    expect(() => checkCompression({ kind: 'topk', ratio: NaN })).toThrow(expect.objectContaining({ code: 'TRAIN_ERR_BAD_COMPRESSION' }));
    expect(() => checkCompression({ kind: 'zip' } as never)).toThrow(expect.objectContaining({ code: 'TRAIN_ERR_BAD_COMPRESSION' }));
  });

  it('topkCount rounds, keeps at least one and at most n', () => {
    expect(topkCount(0.07, 100)).toBe(7);
    expect(topkCount(0.001, 10)).toBe(1);
    expect(topkCount(1, 10)).toBe(10);
    expect(topkCount(0.5, 0)).toBe(0);
  });
});
