import type { CodecLimits } from './limits';
import { ProtocolError } from './protocol-error';

/** Where each bin payload sits in the frame (data start, after its header), in order of appearance. */
export interface FrameLayout {
  bins: { offset: number; length: number }[];
}

const ARRAY = 0;
const MAP = 1;

const malformed = (why: string, at: number): ProtocolError =>
  new ProtocolError('PROTO_ERR_MALFORMED', `not a valid frame: ${why} at byte ${at}`, { offset: at });
const tooLong = (limit: string, value: number, at: number): ProtocolError =>
  new ProtocolError('PROTO_ERR_TOO_LONG', `frame exceeds ${limit} at byte ${at}`, { limit, value, offset: at });

/**
 * Walks a frame's msgpack structure without building anything, so a hostile frame is refused before
 * msgpackr allocates for it: the top level must be a map, map keys strings, no extension types, no
 * truncation or trailing bytes, and every declared length within the limits and within the bytes
 * actually present (a 5-byte header cannot announce 4 billion array items). Iterative, so deep
 * nesting cannot overflow the stack. Cost is O(values); bin payloads are skipped, not read.
 */
export function scanFrame(b: Uint8Array, limits: Readonly<CodecLimits>): FrameLayout {
  const end = b.length;
  const maxStringBytes = limits.maxStringLength * 4; // UTF-8 needs at most 4 bytes per char
  const kinds: number[] = [];
  const left: number[] = [];
  const bins: FrameLayout['bins'] = [];
  let pos = 0;
  let nodes = 0;
  let rootSeen = false;

  const need = (n: number, at: number): void => {
    if (pos + n > end) throw malformed('truncated', at);
  };
  const u8 = (): number => b[pos++] as number;
  const u16 = (): number => ((b[pos++] as number) << 8) | (b[pos++] as number);
  const u32 = (): number => u16() * 0x10000 + u16();

  if (end === 0 || !((b[0]! >= 0x80 && b[0]! <= 0x8f) || b[0] === 0xde || b[0] === 0xdf)) {
    throw malformed('top level is not a map', 0);
  }

  while (!(rootSeen && kinds.length === 0)) {
    const at = pos;
    need(1, at);
    if (++nodes > limits.maxNodes) throw tooLong('maxNodes', nodes, at);
    const top = kinds.length - 1;
    const isKey = top >= 0 && kinds[top] === MAP && (left[top] as number) % 2 === 0;
    const t = u8();
    let container = -1;
    let count = 0;
    let isString = false;

    if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) {
      // fixint, nil, booleans: the type byte is the whole value
    } else if (t >= 0xa0 && t <= 0xbf) {
      isString = true;
      need(t & 0x1f, at);
      pos += t & 0x1f;
    } else if (t === 0xd9 || t === 0xda || t === 0xdb) {
      isString = true;
      need(t === 0xd9 ? 1 : t === 0xda ? 2 : 4, at);
      const n = t === 0xd9 ? u8() : t === 0xda ? u16() : u32();
      if (n > maxStringBytes) throw tooLong('maxStringLength', n, at);
      need(n, at);
      pos += n;
    } else if (t === 0xc4 || t === 0xc5 || t === 0xc6) {
      need(t === 0xc4 ? 1 : t === 0xc5 ? 2 : 4, at);
      const n = t === 0xc4 ? u8() : t === 0xc5 ? u16() : u32();
      need(n, at);
      bins.push({ offset: pos, length: n });
      pos += n;
    } else if (t === 0xca || t === 0xce || t === 0xd2) {
      need(4, at);
      pos += 4;
    } else if (t === 0xcb || t === 0xcf || t === 0xd3) {
      need(8, at);
      pos += 8;
    } else if (t === 0xcc || t === 0xd0) {
      need(1, at);
      pos += 1;
    } else if (t === 0xcd || t === 0xd1) {
      need(2, at);
      pos += 2;
    } else if ((t >= 0x90 && t <= 0x9f) || t === 0xdc || t === 0xdd) {
      container = ARRAY;
      if (t <= 0x9f) count = t & 0x0f;
      else {
        need(t === 0xdc ? 2 : 4, at);
        count = t === 0xdc ? u16() : u32();
      }
    } else if ((t >= 0x80 && t <= 0x8f) || t === 0xde || t === 0xdf) {
      container = MAP;
      if (t <= 0x8f) count = t & 0x0f;
      else {
        need(t === 0xde ? 2 : 4, at);
        count = t === 0xde ? u16() : u32();
      }
    } else {
      // 0xc1 is never used; 0xc7–0xc9 and 0xd4–0xd8 are extensions, which our wire never contains.
      throw malformed(`unsupported type byte 0x${t.toString(16)}`, at);
    }

    if (isKey && !isString) throw malformed('map key is not a string', at);
    if (top >= 0) left[top] = (left[top] as number) - 1;
    else rootSeen = true;

    if (container >= 0) {
      if (count > limits.maxArrayLength) throw tooLong('maxArrayLength', count, at);
      const values = container === MAP ? count * 2 : count;
      if (values > end - pos) throw malformed('container longer than the frame', at);
      if (values > 0) {
        if (kinds.length + 1 > limits.maxDepth) throw tooLong('maxDepth', kinds.length + 1, at);
        kinds.push(container);
        left.push(values);
      }
    }
    while (kinds.length > 0 && left[kinds.length - 1] === 0) {
      kinds.pop();
      left.pop();
    }
  }
  if (pos !== end) throw malformed('trailing bytes after the message', pos);
  return { bins };
}
