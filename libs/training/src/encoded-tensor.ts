import { MAX_CHUNK } from './constants';
import { PACKED_INT_BITS, packedIntBytes } from './packed-int';
import { signBytes } from './sign';
import { TrainingError } from './training-error';

/**
 * A Float32Array of `length` elements in transit. Every variant owns its arrays (never aliases the
 * encoder's input). `int8`: element i decodes to data[i] · scales[⌊i / chunk⌋]. `int4|3|2`: the same
 * with biased 4/3/2-bit codes packed without gaps (see packed-int.ts). `sign`: ±scales[⌊i / chunk⌋] by bit i (see sign.ts).
 * `topk`: the listed entries, strictly ascending indices, every other element 0.
 */
export type EncodedTensor =
  | { codec: 'fp32'; length: number; data: Float32Array }
  | { codec: 'fp16'; length: number; data: Uint16Array }
  | { codec: 'int8'; length: number; chunk: number; scales: Float32Array; data: Int8Array }
  | { codec: 'int4' | 'int3' | 'int2' | 'sign'; length: number; chunk: number; scales: Float32Array; data: Uint8Array }
  | { codec: 'topk'; length: number; indices: Uint32Array; values: Float32Array };

/**
 * Payload bytes: the sum of the typed arrays' byte lengths (fp32 4n, fp16 2n, int8 n + 4⌈n/chunk⌉,
 * intB ⌈n·B/8⌉ + 4⌈n/chunk⌉, sign ⌈n/8⌉ + 4⌈n/chunk⌉, topk 8k). The scalar fields and the wire framing are the protocol's to count.
 */
export function encodedByteLength(e: EncodedTensor): number {
  switch (e.codec) {
    case 'fp32':
    case 'fp16':
      return e.data.byteLength;
    case 'int8':
    case 'int4':
    case 'int3':
    case 'int2':
    case 'sign':
      return e.data.byteLength + e.scales.byteLength;
    case 'topk':
      return e.indices.byteLength + e.values.byteLength;
  }
}

function allFinite(a: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return false;
  return true;
}

/**
 * Checks untrusted input (a decoded network frame) before it touches any state: shape, exact typed
 * array classes and sizes, finite values (no half Inf/NaN, no negative or non-finite int8 scales),
 * top-k indices in range and strictly ascending. Throws TRAIN_ERR_BAD_TENSOR; returns it typed.
 */
export function validateEncodedTensor(e: unknown, expectedLength: number): EncodedTensor {
  const fail = (why: string): never => {
    throw new TrainingError('TRAIN_ERR_BAD_TENSOR', `bad encoded tensor: ${why}`, { expectedLength });
  };
  if (typeof e !== 'object' || e === null) return fail('not an object');
  const t = e as Record<string, unknown>;
  if (t.length !== expectedLength) return fail(`length ${String(t.length)}, expected ${expectedLength}`);
  const n = expectedLength;
  switch (t.codec) {
    case 'fp32': {
      if (!(t.data instanceof Float32Array) || t.data.length !== n) return fail('fp32 data must be a Float32Array of length');
      if (!allFinite(t.data)) return fail('fp32 data holds a non-finite value');
      break;
    }
    case 'fp16': {
      const d = t.data;
      if (!(d instanceof Uint16Array) || d.length !== n) return fail('fp16 data must be a Uint16Array of length');
      for (let i = 0; i < n; i++) if ((d[i]! & 0x7c00) === 0x7c00) return fail(`fp16 Inf/NaN at ${i}`);
      break;
    }
    case 'int8':
    case 'int4':
    case 'int3':
    case 'int2':
    case 'sign': {
      const codec = t.codec;
      const c = t.chunk;
      if (typeof c !== 'number' || !Number.isInteger(c) || c < 1 || c > MAX_CHUNK) return fail(`${codec} chunk ${String(c)}`);
      if (codec === 'int8') {
        if (!(t.data instanceof Int8Array) || t.data.length !== n) return fail('int8 data must be an Int8Array of length');
      } else {
        const bytes = codec === 'sign' ? signBytes(n) : packedIntBytes(n, PACKED_INT_BITS[codec]);
        if (!(t.data instanceof Uint8Array) || t.data.length !== bytes) return fail(`${codec} data must be a Uint8Array of ${bytes} bytes`);
      }
      const s = t.scales;
      if (!(s instanceof Float32Array) || s.length !== Math.ceil(n / c)) return fail(`${codec} scales must be one Float32Array entry per chunk`);
      for (let i = 0; i < s.length; i++) if (!(s[i]! >= 0 && s[i]! < Infinity)) return fail(`${codec} scale ${i} is ${s[i]}`);
      break;
    }
    case 'topk': {
      const ix = t.indices;
      const v = t.values;
      if (!(ix instanceof Uint32Array) || !(v instanceof Float32Array)) return fail('topk needs Uint32Array indices and Float32Array values');
      if (ix.length !== v.length || ix.length > n) return fail(`topk has ${ix.length} indices and ${v.length} values for length ${n}`);
      let prev = -1;
      for (let i = 0; i < ix.length; i++) {
        const j = ix[i]!;
        if (j <= prev) return fail(`topk indices not strictly ascending at ${i}`);
        if (j >= n) return fail(`topk index ${j} out of range`);
        prev = j;
      }
      if (!allFinite(v)) return fail('topk values hold a non-finite value');
      break;
    }
    default:
      return fail(`unknown codec '${String(t.codec)}'`);
  }
  return e as EncodedTensor;
}
