import { FLOAT32_OPTIONS, Packr, Unpackr } from 'msgpackr';
import { scanFrame } from './frame-scanner';
import { resolveLimits, type CodecLimits } from './limits';
import type { Message } from './messages';
import { ProtocolError } from './protocol-error';
import { validateMessage } from './validate-message';
import { fromWire, setPads, toWire } from './wire-form';

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
 * One message → one frame. Typed arrays are written once, straight from their memory, 4-byte aligned
 * within the frame. The frame may share msgpackr's output buffer with earlier frames; it is never
 * overwritten, only retained.
 */
export function encodeMessage(msg: Message, options: EncodeOptions = {}): Uint8Array {
  const clean = options.validate === false ? msg : validateMessage(msg, options.limits);
  const form = toWire(clean);
  const p = getPackr();
  if (form.slots.length > 0) {
    // Small first pass with empty bins finds where the bins land, then the pads are sized to align them.
    const empty = new Uint8Array(0);
    for (const s of form.slots) s.holder[s.key] = empty;
    const layout = scanFrame(p.pack(form.value), UNBOUNDED);
    setPads(form, layout.bins.map((b) => b.offset));
    for (const s of form.slots) s.holder[s.key] = s.bytes;
  }
  return p.pack(form.value);
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
