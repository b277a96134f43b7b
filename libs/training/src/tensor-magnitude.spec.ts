import { describe, expect, it } from 'vitest';
import { decodeTensor, encodeTensor } from './codec';
import { parseCompression } from './compression-spec';
import { maxAbsOf } from './tensor-magnitude';

const random = (n: number, scale: number): Float32Array => {
  let s = 12345;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return ((s / 2 ** 32) * 2 - 1) * scale;
  });
};

describe('maxAbsOf', () => {
  it.each(['none', 'fp16', 'int8', 'int4', 'int3', 'int2', 'sign', 'topk:0.1'])('bounds what %s decodes to, from the encoded form', (codec) => {
    const x = random(5_000, 3.5);
    x[1234] = -42;
    const e = encodeTensor(x, parseCompression(codec));
    const decoded = decodeTensor(e);
    const truth = decoded.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const bound = maxAbsOf(e);
    expect(bound).toBeGreaterThanOrEqual(truth * (1 - 1e-6));
    // Tight: the largest element survives every codec, so the bound is the largest value's magnitude.
    expect(bound).toBeLessThanOrEqual(42 * 1.01);
  });

  it('sees an overflow-sized value', () => {
    expect(maxAbsOf(encodeTensor(Float32Array.of(0, 3e38, 1), parseCompression('none')))).toBeCloseTo(3e38, -33);
    expect(maxAbsOf(encodeTensor(Float32Array.of(0, 6e4, 1), parseCompression('fp16')))).toBeGreaterThan(5.9e4);
  });
});
