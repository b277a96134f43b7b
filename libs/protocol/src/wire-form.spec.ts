import { describe, expect, it } from 'vitest';
import { binHeaderBytes, fromWireBytes, toWireBytes } from './wire-form';

describe('wire bytes', () => {
  it('are the array memory itself on little-endian hosts', () => {
    const a = Float32Array.of(1, -2.5, 3e-8);
    const bytes = toWireBytes(a, true);
    expect(bytes.buffer).toBe(a.buffer);
    expect(Array.from(bytes.subarray(0, 4))).toEqual([0x00, 0x00, 0x80, 0x3f]); // 1.0f, little-endian
  });

  it('round-trip through the big-endian path (byte swapped both ways)', () => {
    const a = Uint32Array.of(0x01020304, 0xa0b0c0d0);
    const wire = toWireBytes(a, false);
    expect(Array.from(wire.subarray(0, 4))).toEqual([0x01, 0x02, 0x03, 0x04]);
    expect(fromWireBytes(wire, Uint32Array, false)).toEqual(a);
    const i8 = Int8Array.of(-1, 2);
    expect(fromWireBytes(toWireBytes(i8, false), Int8Array, false)).toEqual(i8);
  });

  it('leave bytes that are not whole elements, or not bytes, for validation to refuse', () => {
    const odd = new Uint8Array(6);
    expect(fromWireBytes(odd, Float32Array)).toBe(odd);
    expect(fromWireBytes('x', Float32Array)).toBe('x');
  });

  it('copies misaligned bytes into a fresh aligned array', () => {
    const buf = new Uint8Array(9);
    buf.set(new Uint8Array(Float32Array.of(7, 8).buffer), 1);
    const out = fromWireBytes(buf.subarray(1), Float32Array) as Float32Array;
    expect(out).toEqual(Float32Array.of(7, 8));
    expect(out.buffer).not.toBe(buf.buffer);
  });

  it('bin header sizes follow msgpack bin8 / bin16 / bin32', () => {
    expect([0, 255, 256, 65535, 65536].map(binHeaderBytes)).toEqual([2, 2, 3, 3, 5]);
  });
});
