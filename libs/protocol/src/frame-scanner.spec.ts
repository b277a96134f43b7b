import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeMessage } from './codec';
import { scanFrame } from './frame-scanner';
import { DEFAULT_LIMITS, resolveLimits } from './limits';
import { ProtocolError } from './protocol-error';

const packr = new Packr({ useRecords: false });
const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

function codeOf(frame: Uint8Array, limits = DEFAULT_LIMITS): string {
  try {
    scanFrame(frame, limits);
  } catch (err) {
    if (err instanceof ProtocolError) return err.code;
    throw err;
  }
  return 'ok';
}

describe('scanFrame', () => {
  it('accepts well-formed maps of the types we use and reports bin positions', () => {
    const frame = packr.pack({ a: 1, b: [1.5, -3, null, true, 'x'], c: { d: new Uint8Array(300) }, e: 2 ** 40 });
    const layout = scanFrame(frame, DEFAULT_LIMITS);
    expect(layout.bins).toHaveLength(1);
    expect(layout.bins[0]?.length).toBe(300);
    expect(frame[(layout.bins[0]?.offset ?? 0) - 3]).toBe(0xc5);
  });

  it.each([
    ['empty frame', bytes()],
    ['top-level array', packr.pack([1, 2])],
    ['top-level string', packr.pack('hi')],
    ['truncated', packr.pack({ hello: 'world' }).subarray(0, 8)],
    ['trailing bytes', bytes(0x80, 0x00)],
    ['numeric map key', bytes(0x81, 0x01, 0x02)],
    ['array map key', bytes(0x81, 0x90, 0x02)],
    ['extension (fixext1)', bytes(0x81, 0xa1, 0x61, 0xd4, 0x00, 0x00)],
    ['extension (ext8)', bytes(0x81, 0xa1, 0x61, 0xc7, 0x01, 0x74, 0x00)],
    ['never-used 0xc1', bytes(0x81, 0xa1, 0x61, 0xc1)],
    ['map16 longer than the frame', bytes(0x81, 0xa1, 0x61, 0xde, 0x00, 0x10, 0xa0, 0xc0)],
    ['bin32 longer than the frame', bytes(0x81, 0xa1, 0x61, 0xc6, 0x00, 0x00, 0x10, 0x00, 0x00)],
    ['str32 longer than the frame', bytes(0x81, 0xa1, 0x61, 0xdb, 0x00, 0x00, 0x00, 0x09, 0x41)],
  ])('refuses %s as malformed', (_name, frame) => {
    expect(codeOf(frame)).toBe('PROTO_ERR_MALFORMED');
  });

  it('refuses huge declared lengths before allocating: over the limit, or over the bytes present', () => {
    const frame = bytes(0x81, 0xa1, 0x61, 0xdd, 0xff, 0xff, 0xff, 0xff);
    expect(codeOf(frame)).toBe('PROTO_ERR_TOO_LONG');
    expect(codeOf(frame, resolveLimits({ maxArrayLength: 2 ** 32 }))).toBe('PROTO_ERR_MALFORMED');
  });

  it('bounds depth iteratively: 100k nested arrays neither overflow the stack nor pass', () => {
    const depth = 100_000;
    const frame = new Uint8Array(3 + depth + 1);
    frame.set([0x81, 0xa1, 0x61]);
    frame.fill(0x91, 3, 3 + depth);
    frame[3 + depth] = 0xc0;
    expect(codeOf(frame)).toBe('PROTO_ERR_TOO_LONG');
    expect(codeOf(frame, resolveLimits({ maxDepth: 200_000 }))).toBe('ok');
  });

  it('enforces maxNodes, maxArrayLength and maxStringLength at their boundaries', () => {
    const arr = packr.pack({ a: [1, 2, 3] }); // 1 map + key + array + 3 items = 6 values
    expect(codeOf(arr, resolveLimits({ maxNodes: 6 }))).toBe('ok');
    expect(codeOf(arr, resolveLimits({ maxNodes: 5 }))).toBe('PROTO_ERR_TOO_LONG');
    expect(codeOf(arr, resolveLimits({ maxArrayLength: 3 }))).toBe('ok');
    expect(codeOf(arr, resolveLimits({ maxArrayLength: 2 }))).toBe('PROTO_ERR_TOO_LONG');
    const str = packr.pack({ a: 'x'.repeat(40) });
    expect(codeOf(str, resolveLimits({ maxStringLength: 10 }))).toBe('ok'); // 40 bytes ≤ 4 × 10
    expect(codeOf(str, resolveLimits({ maxStringLength: 9 }))).toBe('PROTO_ERR_TOO_LONG');
  });

  it('keeps a hostile 8 MiB frame of tiny values from reaching the decoder', () => {
    const n = 8 * 1024 * 1024;
    const frame = new Uint8Array(n);
    frame.set([0x81, 0xa1, 0x61, 0xdd, 0x00, 0x7f, 0xff, 0xf0]); // array32 of ~8M fixints
    try {
      decodeMessage(frame);
      expect.unreachable();
    } catch (err) {
      expect((err as ProtocolError).code).toBe('PROTO_ERR_TOO_LONG');
    }
  });
});
