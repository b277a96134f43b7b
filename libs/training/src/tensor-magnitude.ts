import type { EncodedTensor } from './encoded-tensor';
import { float16BitsToFloat32 } from './float16';
import { PACKED_INT_BITS, packedLevels } from './packed-int';

function maxAbsOfArray(a: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const x = Math.abs(a[i]!);
    if (x > m) m = x;
  }
  return m;
}

/**
 * The largest |value| the tensor decodes to (an upper bound for the chunked codecs: the largest
 * scale times the largest code), read from the encoded form without decoding it.
 */
export function maxAbsOf(e: EncodedTensor): number {
  switch (e.codec) {
    case 'fp32':
      return maxAbsOfArray(e.data);
    case 'fp16': {
      // The largest magnitude has the largest exponent and mantissa bits: compare them, decode one.
      let top = 0;
      for (let i = 0; i < e.data.length; i++) {
        const h = e.data[i]! & 0x7fff;
        if (h > top) top = h;
      }
      return float16BitsToFloat32(top);
    }
    case 'int8':
      return maxAbsOfArray(e.scales) * 127;
    case 'int4':
    case 'int3':
    case 'int2':
      return maxAbsOfArray(e.scales) * packedLevels(PACKED_INT_BITS[e.codec]);
    case 'sign':
      return maxAbsOfArray(e.scales);
    case 'topk':
      return maxAbsOfArray(e.values);
  }
}
