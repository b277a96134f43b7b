import { describe, expect, it } from 'vitest';
import { encodeTensor } from './codec';
import { validateEncodedTensor } from './encoded-tensor';

const x = Float32Array.from({ length: 10 }, (_, i) => i - 4.5);
const good = {
  fp32: () => encodeTensor(x, { kind: 'none' }),
  fp16: () => encodeTensor(x, { kind: 'fp16' }),
  int8: () => encodeTensor(x, { kind: 'int8', chunk: 4 }),
  int4: () => encodeTensor(x, { kind: 'int4', chunk: 4 }),
  int3: () => encodeTensor(x, { kind: 'int3', chunk: 4 }),
  int2: () => encodeTensor(x, { kind: 'int2', chunk: 4 }),
  sign: () => encodeTensor(x, { kind: 'sign', chunk: 4 }),
  topk: () => encodeTensor(x, { kind: 'topk', ratio: 0.3 }),
};

describe('validateEncodedTensor', () => {
  it('accepts what the encoder produces', () => {
    for (const make of Object.values(good)) expect(validateEncodedTensor(make(), 10)).toBeTruthy();
    expect(validateEncodedTensor({ codec: 'topk', length: 10, indices: new Uint32Array(0), values: new Float32Array(0) }, 10)).toBeTruthy();
  });

  const bad: Array<[string, () => unknown]> = [
    ['null', () => null],
    ['a number', () => 3],
    ['unknown codec', () => ({ ...good.fp32(), codec: 'fp64' })],
    ['wrong length', () => ({ ...good.fp32(), length: 11 })],
    ['fp32 data too short', () => ({ codec: 'fp32', length: 10, data: new Float32Array(9) })],
    ['fp32 data of the wrong type', () => ({ codec: 'fp32', length: 10, data: new Float64Array(10) })],
    ['fp32 NaN', () => ({ codec: 'fp32', length: 10, data: new Float32Array(10).fill(NaN) })],
    ['fp32 Infinity', () => ({ codec: 'fp32', length: 10, data: Float32Array.from({ length: 10 }, (_, i) => (i === 9 ? Infinity : 0)) })],
    ['fp16 Inf', () => ({ codec: 'fp16', length: 10, data: new Uint16Array(10).fill(0x7c00) })],
    ['fp16 NaN', () => ({ codec: 'fp16', length: 10, data: new Uint16Array(10).fill(0xfe00) })],
    ['fp16 as Int16Array', () => ({ codec: 'fp16', length: 10, data: new Int16Array(10) })],
    ['int8 negative chunk', () => ({ ...good.int8(), chunk: -4 })],
    ['int8 zero chunk', () => ({ ...good.int8(), chunk: 0 })],
    ['int8 fractional chunk', () => ({ ...good.int8(), chunk: 2.5 })],
    ['int8 too few scales', () => ({ ...good.int8(), scales: new Float32Array(2) })],
    ['int8 negative scale', () => ({ ...good.int8(), scales: Float32Array.of(1, -1, 1) })],
    ['int8 NaN scale', () => ({ ...good.int8(), scales: Float32Array.of(1, NaN, 1) })],
    ['int8 data as Uint8Array', () => ({ ...good.int8(), data: new Uint8Array(10) })],
    ['int4 data as Int8Array', () => ({ ...good.int4(), data: new Int8Array(5) })],
    ['int4 data one byte short', () => ({ ...good.int4(), data: new Uint8Array(4) })],
    ['int4 data one element per byte', () => ({ ...good.int4(), data: new Uint8Array(10) })],
    ['int4 NaN scale', () => ({ ...good.int4(), scales: Float32Array.of(1, NaN, 1) })],
    ['int4 zero chunk', () => ({ ...good.int4(), chunk: 0 })],
    ['int3 data sized for int4', () => ({ ...good.int3(), data: new Uint8Array(5) })],
    ['int2 data sized for int3', () => ({ ...good.int2(), data: new Uint8Array(4) })],
    ['sign data a byte too long', () => ({ ...good.sign(), data: new Uint8Array(3) })],
    ['sign too many scales', () => ({ ...good.sign(), scales: new Float32Array(4) })],
    ['sign Infinity scale', () => ({ ...good.sign(), scales: Float32Array.of(1, Infinity, 1) })],
    ['topk index out of range', () => ({ codec: 'topk', length: 10, indices: Uint32Array.of(1, 10), values: new Float32Array(2) })],
    ['topk unsorted', () => ({ codec: 'topk', length: 10, indices: Uint32Array.of(3, 1), values: new Float32Array(2) })],
    ['topk duplicate index', () => ({ codec: 'topk', length: 10, indices: Uint32Array.of(2, 2), values: new Float32Array(2) })],
    ['topk length mismatch', () => ({ codec: 'topk', length: 10, indices: Uint32Array.of(1, 2), values: new Float32Array(3) })],
    ['topk more entries than length', () => ({ codec: 'topk', length: 10, indices: new Uint32Array(11), values: new Float32Array(11) })],
    ['topk NaN value', () => ({ codec: 'topk', length: 10, indices: Uint32Array.of(1), values: Float32Array.of(NaN) })],
    ['topk indices as plain array', () => ({ codec: 'topk', length: 10, indices: [1], values: Float32Array.of(1) })],
  ];
  it.each(bad)('rejects %s with TRAIN_ERR_BAD_TENSOR', (_name, make) => {
    expect(() => validateEncodedTensor(make(), 10)).toThrow(expect.objectContaining({ code: 'TRAIN_ERR_BAD_TENSOR' }));
  });
});
