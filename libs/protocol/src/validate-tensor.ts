import { TENSOR_CODECS, packedByteLength, type EncodedTensor } from './encoded-tensor';
import type { Fields } from './fields';
import { fieldError } from './protocol-error';

type TypedArrayClass = Float32ArrayConstructor | Uint16ArrayConstructor | Int8ArrayConstructor | Uint8ArrayConstructor | Uint32ArrayConstructor;

function typed<C extends TypedArrayClass>(t: Fields, key: string, cls: C): InstanceType<C> {
  const x = t.raw(key);
  if (!(x instanceof cls)) throw fieldError('PROTO_ERR_BAD_TENSOR', t.field(key), `expected a ${cls.name}`);
  return x as InstanceType<C>;
}

function sameLength(t: Fields, key: string, actual: number, expected: number): void {
  if (actual !== expected) {
    throw fieldError('PROTO_ERR_BAD_TENSOR', t.field(key), `has ${actual} elements, expected ${expected}`, {
      expected,
      received: actual,
    });
  }
}

/**
 * Index of the first NaN/±Infinity, or -1. Every push runs this over the whole gradient, so the common
 * all-finite case is one branch-free pass: x · 0 is ±0 for every finite x and NaN for NaN and ±Infinity,
 * so the sum of those products is 0 exactly when all are finite. Four accumulators keep the adds
 * independent (a 225k-element gradient: 0.13 ms against 0.25–0.35 ms for a branch per element). Only
 * a tensor that fails looks for the index.
 */
export function firstNonFinite(a: Float32Array): number {
  const n = a.length;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[i]! * 0;
    s1 += a[i + 1]! * 0;
    s2 += a[i + 2]! * 0;
    s3 += a[i + 3]! * 0;
  }
  for (; i < n; i++) s0 += a[i]! * 0;
  return s0 + s1 + s2 + s3 === 0 ? -1 : indexOfNonFinite(a);
}

/** `x - x` is NaN exactly for NaN and ±Infinity. */
function indexOfNonFinite(a: Float32Array): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    if (x - x !== 0) return i;
  }
  return -1;
}

/** fp16 Inf/NaN have all five exponent bits set. */
export function firstNonFiniteHalf(a: Uint16Array): number {
  for (let i = 0; i < a.length; i++) if (((a[i] as number) & 0x7c00) === 0x7c00) return i;
  return -1;
}

function finite(t: Fields, key: string, a: Float32Array): void {
  const i = firstNonFinite(a);
  if (i >= 0) throw fieldError('PROTO_ERR_NOT_FINITE', t.field(key), `element ${i} is not finite`, { index: i });
}

/**
 * Structural validation of an EncodedTensor: known codec, exact typed-array classes, consistent
 * lengths, length ≤ maxTensorLength, sparse indices strictly ascending and in range, all values finite.
 * Returns a clean object holding the same arrays (no copy).
 */
export function readTensor(t: Fields): EncodedTensor {
  const codec = t.raw('codec');
  if (typeof codec !== 'string' || !(TENSOR_CODECS as readonly string[]).includes(codec)) {
    throw fieldError('PROTO_ERR_BAD_TENSOR', t.field('codec'), `expected one of ${TENSOR_CODECS.join(', ')}`);
  }
  const length = t.int('length');
  const max = t.limits.maxTensorLength;
  if (length > max) throw fieldError('PROTO_ERR_TOO_LONG', t.field('length'), `more than ${max} elements`, { limit: max });
  switch (codec) {
    case 'fp32': {
      const data = typed(t, 'data', Float32Array);
      sameLength(t, 'data', data.length, length);
      finite(t, 'data', data);
      return { codec, length, data };
    }
    case 'fp16': {
      const data = typed(t, 'data', Uint16Array);
      sameLength(t, 'data', data.length, length);
      const i = firstNonFiniteHalf(data);
      if (i >= 0) throw fieldError('PROTO_ERR_NOT_FINITE', t.field('data'), `element ${i} is not finite`, { index: i });
      return { codec, length, data };
    }
    case 'int8': {
      const chunk = t.int('chunk', 1);
      const data = typed(t, 'data', Int8Array);
      const scales = typed(t, 'scales', Float32Array);
      sameLength(t, 'data', data.length, length);
      sameLength(t, 'scales', scales.length, Math.ceil(length / chunk));
      finite(t, 'scales', scales);
      return { codec, length, chunk, scales, data };
    }
    case 'int4':
    case 'int3':
    case 'int2':
    case 'sign': {
      const chunk = t.int('chunk', 1);
      const data = typed(t, 'data', Uint8Array);
      const scales = typed(t, 'scales', Float32Array);
      sameLength(t, 'data', data.length, packedByteLength(codec, length));
      sameLength(t, 'scales', scales.length, Math.ceil(length / chunk));
      finite(t, 'scales', scales);
      return { codec, length, chunk, scales, data };
    }
    default: {
      const indices = typed(t, 'indices', Uint32Array);
      const values = typed(t, 'values', Float32Array);
      sameLength(t, 'values', values.length, indices.length);
      if (indices.length > length) {
        throw fieldError('PROTO_ERR_BAD_TENSOR', t.field('indices'), `more entries than length ${length}`);
      }
      let prev = -1;
      for (let i = 0; i < indices.length; i++) {
        const ix = indices[i] as number;
        if (ix <= prev || ix >= length) {
          throw fieldError('PROTO_ERR_BAD_TENSOR', t.field('indices'), `entry ${i} not ascending or out of range`, {
            index: i,
          });
        }
        prev = ix;
      }
      finite(t, 'values', values);
      return { codec: 'topk', length, indices, values };
    }
  }
}
