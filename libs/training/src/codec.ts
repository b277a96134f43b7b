import type { CompressionSpec } from './compression-spec';
import { chunkOf, topkCount } from './compression-spec';
import type { EncodedTensor } from './encoded-tensor';
import { addFloat16Into, float16ArrayToFloat32, float32ArrayToFloat16 } from './float16';
import { encodeInt8, int8Into } from './int8';
import { PACKED_INT_BITS, encodePackedInt, packedIntInto } from './packed-int';
import { encodeSign, signInto } from './sign';
import { TopKSelector } from './top-k';
import { assertLength } from './training-error';

/**
 * Encodes x (finite values expected; the receiver validates) as `spec` says. The result never aliases
 * x. `selector` lets a caller that encodes every step (ErrorFeedback) reuse the top-k histogram.
 */
export function encodeTensor(x: Float32Array, spec: CompressionSpec, selector?: TopKSelector): EncodedTensor {
  const length = x.length;
  switch (spec.kind) {
    case 'none':
      return { codec: 'fp32', length, data: x.slice() };
    case 'fp16':
      return { codec: 'fp16', length, data: float32ArrayToFloat16(x) };
    case 'int8': {
      const chunk = chunkOf(spec);
      return { codec: 'int8', length, chunk, ...encodeInt8(x, chunk) };
    }
    case 'int4':
    case 'int3':
    case 'int2': {
      const chunk = chunkOf(spec);
      return { codec: spec.kind, length, chunk, ...encodePackedInt(x, PACKED_INT_BITS[spec.kind], chunk) };
    }
    case 'sign': {
      const chunk = chunkOf(spec);
      return { codec: 'sign', length, chunk, ...encodeSign(x, chunk) };
    }
    case 'topk':
      return { codec: 'topk', length, ...(selector ?? new TopKSelector()).select(x, topkCount(spec.ratio, length)) };
  }
}

/** The dense float32 tensor e stands for, written into `out` (zeroed first for top-k) or a new array. */
export function decodeTensor(e: EncodedTensor, out?: Float32Array): Float32Array {
  const dst = out ?? new Float32Array(e.length);
  assertLength('decode output', dst.length, e.length);
  switch (e.codec) {
    case 'fp32':
      dst.set(e.data);
      break;
    case 'fp16':
      float16ArrayToFloat32(e.data, dst);
      break;
    case 'int8':
      int8Into(dst, e.data, e.scales, e.chunk, 1, true);
      break;
    case 'int4':
    case 'int3':
    case 'int2':
      packedIntInto(dst, e.data, e.scales, PACKED_INT_BITS[e.codec], e.chunk, 1, true);
      break;
    case 'sign':
      signInto(dst, e.data, e.scales, e.chunk, 1, true);
      break;
    case 'topk':
      if (out) dst.fill(0);
      for (let j = 0; j < e.indices.length; j++) dst[e.indices[j]!] = e.values[j]!;
      break;
  }
  return dst;
}

/** `out += weight · decode(e)` without materialising the decoded tensor (top-k touches only its k entries). */
export function addDecodedInto(out: Float32Array, e: EncodedTensor, weight: number): void {
  assertLength('accumulator', out.length, e.length);
  switch (e.codec) {
    case 'fp32': {
      const d = e.data;
      for (let i = 0; i < d.length; i++) out[i]! += weight * d[i]!;
      break;
    }
    case 'fp16':
      addFloat16Into(out, e.data, weight);
      break;
    case 'int8':
      int8Into(out, e.data, e.scales, e.chunk, weight, false);
      break;
    case 'int4':
    case 'int3':
    case 'int2':
      packedIntInto(out, e.data, e.scales, PACKED_INT_BITS[e.codec], e.chunk, weight, false);
      break;
    case 'sign':
      signInto(out, e.data, e.scales, e.chunk, weight, false);
      break;
    case 'topk': {
      const { indices, values } = e;
      for (let j = 0; j < indices.length; j++) out[indices[j]!]! += weight * values[j]!;
      break;
    }
  }
}
