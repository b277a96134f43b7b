import { PAD_KEY_PREFIX, WIRE_ALIGNMENT } from './constants';
import { isPlainObject } from './fields';
import type { Message } from './messages';

/**
 * Typed arrays travel as msgpack `bin` holding their raw little-endian bytes; the receiving class is
 * implied by the field (a `fp32` tensor's `data` is a Float32Array), so no peer can choose which
 * class we allocate. Each bin is preceded by a padding key (`_pad_<name>`, a 0–3 char string) sized
 * so the bytes start 4-byte aligned in the frame: a receiver whose frame buffer is itself aligned
 * views them in place instead of copying.
 */

type TypedArray = Float32Array | Uint16Array | Int8Array | Uint8Array | Uint32Array;
type TypedArrayClass = Float32ArrayConstructor | Uint16ArrayConstructor | Int8ArrayConstructor | Uint8ArrayConstructor | Uint32ArrayConstructor;

export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses each `size`-byte group of `bytes` into a fresh array (big-endian hosts only). */
function swapped(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += size) for (let k = 0; k < size; k++) out[i + k] = bytes[i + size - 1 - k] as number;
  return out;
}

/** The wire bytes of a typed array: a view over its memory (no copy) on little-endian hosts. */
export function toWireBytes(a: TypedArray, littleEndian = HOST_LITTLE_ENDIAN): Uint8Array {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  return littleEndian || a.BYTES_PER_ELEMENT === 1 ? bytes : swapped(bytes, a.BYTES_PER_ELEMENT);
}

/**
 * Wire bytes → typed array of `cls`. Views in place when aligned; copies once when not (the frame
 * may sit anywhere in a socket buffer). Bytes that are not a whole number of elements are returned
 * unchanged, so validation rejects them as the wrong type.
 */
export function fromWireBytes(bytes: unknown, cls: TypedArrayClass, littleEndian = HOST_LITTLE_ENDIAN): unknown {
  if (!(bytes instanceof Uint8Array)) return bytes;
  const size = cls.BYTES_PER_ELEMENT;
  if (bytes.byteLength % size !== 0) return bytes;
  const n = bytes.byteLength / size;
  if (!littleEndian && size > 1) return new cls(swapped(bytes, size).buffer as ArrayBuffer, 0, n);
  // SharedArrayBuffer never reaches here from a socket; the cast only satisfies the constructor overloads.
  if (bytes.byteOffset % size === 0) return new cls(bytes.buffer as ArrayBuffer, bytes.byteOffset, n);
  const out = new cls(n);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

const TENSOR_ARRAYS: Record<string, Record<string, TypedArrayClass>> = {
  fp32: { data: Float32Array },
  fp16: { data: Uint16Array },
  int8: { scales: Float32Array, data: Int8Array },
  int4: { scales: Float32Array, data: Uint8Array },
  int3: { scales: Float32Array, data: Uint8Array },
  int2: { scales: Float32Array, data: Uint8Array },
  sign: { scales: Float32Array, data: Uint8Array },
  topk: { indices: Uint32Array, values: Float32Array },
};

/** Where binary fields live: the one tensor of a message type, and its top-level typed arrays. */
const TENSOR_FIELD: Partial<Record<string, string>> = { weights: 'payload', push: 'grad', 'shard-open': 'state', 'slice-state': 'state' };
const ARRAY_FIELDS: Partial<Record<string, Record<string, Uint32ArrayConstructor | Uint8ArrayConstructor>>> = { work: { indices: Uint32Array }, 'shard-open': { mask: Uint8Array } };

/** One typed array on the wire: the map holding it, its key, its pad key and its bytes. */
export interface BinSlot {
  holder: Record<string, unknown>;
  key: string;
  padKey: string;
  bytes: Uint8Array;
}

/** A wire object plus its bins, in the order msgpack will write them. */
export interface WireForm {
  value: Record<string, unknown>;
  slots: BinSlot[];
}

function putBinary(holder: Record<string, unknown>, key: string, a: TypedArray, form: WireForm): void {
  const padKey = PAD_KEY_PREFIX + key;
  const bytes = toWireBytes(a);
  holder[padKey] = '';
  holder[key] = bytes;
  form.slots.push({ holder, key, padKey, bytes });
}

function tensorToWire(t: Record<string, unknown>, form: WireForm): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(t)) {
    if (value === undefined) continue;
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) putBinary(out, key, value as TypedArray, form);
    else out[key] = value;
  }
  return out;
}

/** The message as msgpack will see it: typed arrays replaced by padded bins, undefined fields dropped. */
export function toWire(msg: Message): WireForm {
  const form: WireForm = { value: {}, slots: [] };
  const tensorKey = TENSOR_FIELD[msg.type];
  for (const [key, value] of Object.entries(msg)) {
    if (value === undefined) continue;
    if (key === tensorKey && isPlainObject(value)) form.value[key] = tensorToWire(value, form);
    else if (ARRAY_FIELDS[msg.type]?.[key] && (value instanceof Uint32Array || value instanceof Uint8Array)) putBinary(form.value, key, value, form);
    else form.value[key] = value;
  }
  return form;
}

/** Bin header bytes for a payload of `n` bytes (bin8 / bin16 / bin32, the smallest that fits). */
export const binHeaderBytes = (n: number): number => (n < 0x100 ? 2 : n < 0x10000 ? 3 : 5);

/**
 * Given where each bin's data starts when every bin is empty and every pad is '', sets the pads so
 * the real bins start aligned. Growing a pad string by k chars (fixstr, k ≤ 3) shifts everything after
 * it by exactly k bytes, so offsets are computed front to back.
 */
export function setPads(form: WireForm, emptyOffsets: readonly number[]): void {
  let shift = 0;
  form.slots.forEach((slot, i) => {
    const grow = binHeaderBytes(slot.bytes.length) - binHeaderBytes(0);
    const offset = (emptyOffsets[i] as number) + shift + grow;
    const pad = (WIRE_ALIGNMENT - (offset % WIRE_ALIGNMENT)) % WIRE_ALIGNMENT;
    slot.holder[slot.padKey] = ' '.repeat(pad);
    shift += pad + grow + slot.bytes.length;
  });
}

/** Replaces the wire bins of a decoded value with typed arrays of the classes their fields imply. */
export function fromWire(x: unknown): unknown {
  if (!isPlainObject(x)) return x;
  const out: Record<string, unknown> = { ...x };
  const arrays = typeof x.type === 'string' ? ARRAY_FIELDS[x.type] : undefined;
  for (const [key, cls] of Object.entries(arrays ?? {})) if (Object.hasOwn(x, key)) out[key] = fromWireBytes(x[key], cls);
  const tensorKey = typeof x.type === 'string' ? TENSOR_FIELD[x.type] : undefined;
  const t = tensorKey === undefined ? undefined : x[tensorKey];
  if (tensorKey !== undefined && isPlainObject(t) && typeof t.codec === 'string' && Object.hasOwn(TENSOR_ARRAYS, t.codec)) {
    const tensor: Record<string, unknown> = { ...t };
    for (const [key, cls] of Object.entries(TENSOR_ARRAYS[t.codec] as Record<string, TypedArrayClass>)) {
      tensor[key] = fromWireBytes(t[key], cls);
    }
    out[tensorKey] = tensor;
  }
  return out;
}
