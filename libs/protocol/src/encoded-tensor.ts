import { ProtocolError } from './protocol-error';

/**
 * Wire shape of a (possibly compressed) flat tensor. The codecs themselves live in @dtrain/training;
 * this is the same shape restated structurally, so the protocol stays free of training code.
 */
export type EncodedTensor =
  | { codec: 'fp32'; length: number; data: Float32Array }
  | { codec: 'fp16'; length: number; data: Uint16Array }
  | { codec: 'int8'; length: number; chunk: number; scales: Float32Array; data: Int8Array }
  | { codec: 'int4' | 'int3' | 'int2' | 'sign'; length: number; chunk: number; scales: Float32Array; data: Uint8Array }
  | { codec: 'topk'; length: number; indices: Uint32Array; values: Float32Array };

export type TensorCodec = EncodedTensor['codec'];

export const TENSOR_CODECS: readonly TensorCodec[] = Object.freeze(['fp32', 'fp16', 'int8', 'int4', 'int3', 'int2', 'sign', 'topk']);

/** Bits per element of the packed codecs: B-bit integer codes (intB) or sign bits, without gaps. */
const PACKED_BITS = { int4: 4, int3: 3, int2: 2, sign: 1 } as const;

/** Bytes of a packed codec's `data` for `length` elements. */
export function packedByteLength(codec: keyof typeof PACKED_BITS, length: number): number {
  return Math.ceil((length * PACKED_BITS[codec]) / 8);
}

/** Payload bytes of the tensor's arrays (what dominates the frame; msgpack adds a few dozen bytes). */
export function encodedTensorBytes(t: EncodedTensor): number {
  switch (t.codec) {
    case 'fp32':
    case 'fp16':
      return t.data.byteLength;
    case 'int8':
    case 'int4':
    case 'int3':
    case 'int2':
    case 'sign':
      return t.data.byteLength + t.scales.byteLength;
    case 'topk':
      return t.indices.byteLength + t.values.byteLength;
  }
}

/** Refuses a tensor whose element count differs from the model manifest (`manifest.totalSize`). */
export function checkTensorLength(t: EncodedTensor, expected: number): void {
  if (t.length !== expected) {
    throw new ProtocolError('PROTO_ERR_BAD_SHAPE', `tensor has ${t.length} elements, the manifest says ${expected}`, {
      expected,
      received: t.length,
    });
  }
}
