import { FLOAT32_OPTIONS, Packr, Unpackr } from 'msgpackr';
import { scanFrame } from './frame-scanner';
import { resolveLimits, type CodecLimits } from './limits';
import type { Message } from './messages';
import { ProtocolError } from './protocol-error';
import { validateMessage } from './validate-message';
import { binHeaderBytes, fromWire, setPads, toWire } from './wire-form';

/**
 * Pinned msgpackr options. `useRecords: false`: records make frames depend on structure tables shared
 * out of band, so a frame would not be self-describing across versions or reconnects. `moreTypes:
 * false` and no extensions at all: typed arrays go as plain bin (see ./wire-form), and the frame
 * scanner refuses every extension type, so msgpackr's Error/RegExp/Set/record decoders never run on
 * peer data. Floats stay float64; 64-bit integers decode as numbers (validation then bounds them).
 */
const PACK_OPTIONS = {
  useRecords: false,
  moreTypes: false,
  structuredClone: false,
  bundleStrings: false,
  encodeUndefinedAsNil: true,
  useFloat32: FLOAT32_OPTIONS.NEVER,
} as const;
const UNPACK_OPTIONS = { ...PACK_OPTIONS, mapsAsObjects: true, int64AsType: 'number', copyBuffers: false } as const;

let packr: Packr | undefined;
let unpackr: Unpackr | undefined;
const getPackr = (): Packr => (packr ??= new Packr(PACK_OPTIONS));
const getUnpackr = (): Unpackr => (unpackr ??= new Unpackr(UNPACK_OPTIONS));

/** Our own output needs no protection; the scan only locates the bins. */
const UNBOUNDED: CodecLimits = {
  maxFrameBytes: Number.MAX_SAFE_INTEGER,
  maxTensorLength: Number.MAX_SAFE_INTEGER,
  maxBatch: Number.MAX_SAFE_INTEGER,
  maxStringLength: Number.MAX_SAFE_INTEGER,
  maxArrayLength: Number.MAX_SAFE_INTEGER,
  maxDepth: Number.MAX_SAFE_INTEGER,
  maxNodes: Number.MAX_SAFE_INTEGER,
  maxSummaryNodes: Number.MAX_SAFE_INTEGER,
};

export interface EncodeOptions {
  /** Validate before encoding (default true): a bad message fails at its sender, with the field named. */
  validate?: boolean;
  limits?: Partial<CodecLimits>;
}

/**
 * One message → one frame. Messages without typed arrays are packed directly. For the others,
 * msgpackr packs only the small rest of the message (bins left empty), and the frame is assembled in
 * one exact-size buffer with each array's bytes copied once, 4-byte aligned. This avoids msgpackr's
 * growth strategy for large values (a 20 MB payload would otherwise be written into a fresh 40 MB
 * buffer that the returned frame keeps alive).
 */
export function encodeMessage(msg: Message, options: EncodeOptions = {}): Uint8Array {
  const clean = options.validate === false ? msg : validateMessage(msg, options.limits);
  const form = toWire(clean);
  const p = getPackr();
  if (form.slots.length === 0) return p.pack(form.value);
  const empty = new Uint8Array(0);
  for (const s of form.slots) s.holder[s.key] = empty;
  setPads(form, binOffsets(p.pack(form.value)));
  const head = p.pack(form.value);
  return assemble(head, binOffsets(head), form.slots.map((s) => s.bytes));
}

const binOffsets = (frame: Uint8Array): number[] => scanFrame(frame, UNBOUNDED).bins.map((b) => b.offset);

/** Copies `head` with each empty bin (`c4 00`, data at `offsets[i]`) replaced by `bins[i]`. */
function assemble(head: Uint8Array, offsets: readonly number[], bins: readonly Uint8Array[]): Uint8Array {
  let total = head.length;
  for (const b of bins) total += binHeaderBytes(b.length) - binHeaderBytes(0) + b.length;
  // allocUnsafeSlow: its own ArrayBuffer at offset 0 (so aligned), and no zero-fill we would overwrite anyway.
  const out = typeof Buffer === 'function' ? Buffer.allocUnsafeSlow(total) : new Uint8Array(total);
  let src = 0;
  let dst = 0;
  bins.forEach((bin, i) => {
    const headerAt = (offsets[i] as number) - binHeaderBytes(0);
    out.set(head.subarray(src, headerAt), dst);
    dst += headerAt - src;
    const n = bin.length;
    if (n < 0x100) out.set([0xc4, n], dst);
    else if (n < 0x10000) out.set([0xc5, n >>> 8, n & 0xff], dst);
    else out.set([0xc6, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff], dst);
    dst += binHeaderBytes(n);
    out.set(bin, dst);
    dst += n;
    src = offsets[i] as number;
  });
  out.set(head.subarray(src), dst);
  return out;
}

function toBytes(frame: unknown, max: number): Uint8Array {
  const tooLarge = (received: number): ProtocolError =>
    new ProtocolError('PROTO_ERR_FRAME_TOO_LARGE', `frame of ${received} bytes exceeds ${max}`, { limit: max, received });
  if (frame instanceof Uint8Array) {
    if (frame.byteLength > max) throw tooLarge(frame.byteLength);
    return frame;
  }
  if (frame instanceof ArrayBuffer) {
    if (frame.byteLength > max) throw tooLarge(frame.byteLength);
    return new Uint8Array(frame);
  }
  if (Array.isArray(frame)) {
    // ws hands over fragmented messages as Buffer[]: sum first, allocate only once the total is allowed.
    let total = 0;
    for (const part of frame) {
      if (!(part instanceof Uint8Array)) throw new ProtocolError('PROTO_ERR_MALFORMED', 'frame fragments must be bytes');
      total += part.byteLength;
      if (total > max) throw tooLarge(total);
    }
    if (frame.length === 1) return frame[0] as Uint8Array;
    const out = new Uint8Array(total);
    let at = 0;
    for (const part of frame as Uint8Array[]) {
      out.set(part, at);
      at += part.byteLength;
    }
    return out;
  }
  throw new ProtocolError('PROTO_ERR_MALFORMED', 'a frame must be binary');
}

/**
 * One untrusted frame → a valid Message, or a ProtocolError (never anything else). Order: size check,
 * structural scan (no allocation), msgpack decode, full validation. Typed arrays in the result view
 * the frame's memory when aligned: do not reuse the frame buffer while the message is in use.
 */
export function decodeMessage(frame: Uint8Array | ArrayBuffer | Uint8Array[], limits?: Partial<CodecLimits>): Message {
  const lim = resolveLimits(limits);
  const bytes = toBytes(frame, lim.maxFrameBytes);
  scanFrame(bytes, lim);
  let raw: unknown;
  try {
    raw = getUnpackr().unpack(bytes);
  } catch (err) {
    throw new ProtocolError('PROTO_ERR_MALFORMED', 'msgpack decoding failed', undefined, { cause: err });
  }
  return validateMessage(fromWire(raw), lim);
}
