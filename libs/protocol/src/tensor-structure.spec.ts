import { describe, expect, it } from 'vitest';
import { createRng } from '@dtrain/common';
import { decodeMessage, encodeMessage } from './codec';
import type { EncodedTensor } from './encoded-tensor';
import { sampleMessages, sampleTensor } from './testing';

// Every structural fault of a (compressed) tensor, sent as a push's gradient the way a hostile
// worker would, is refused by the wire validation with a PROTO_ERR code before anything uses it.

const rng = createRng(7);
const good = (codec: EncodedTensor['codec']): EncodedTensor => sampleTensor(codec, 10, rng);
const push = sampleMessages(rng, 10).push;
const frameWith = (grad: unknown): Uint8Array => encodeMessage({ ...push, grad } as typeof push, { validate: false });

describe('tensor structure on the wire', () => {
  it.each(['fp32', 'fp16', 'int8', 'int4', 'int3', 'int2', 'sign', 'topk'] as const)('takes a well-formed %s tensor', (codec) => {
    const msg = decodeMessage(frameWith(good(codec)), { maxTensorLength: 10 });
    expect(msg.type === 'push' && msg.grad?.codec).toBe(codec);
  });

  const bad: Array<[string, () => unknown]> = [
    ['null', () => null],
    ['a number', () => 3],
    ['unknown codec', () => ({ ...good('fp32'), codec: 'fp64' })],
    ['fp32 data too short', () => ({ codec: 'fp32', length: 10, data: new Float32Array(9) })],
    ['fp32 NaN', () => ({ codec: 'fp32', length: 10, data: new Float32Array(10).fill(NaN) })],
    ['fp32 Infinity', () => ({ codec: 'fp32', length: 10, data: Float32Array.from({ length: 10 }, (_, i) => (i === 9 ? Infinity : 0)) })],
    ['fp16 Inf', () => ({ codec: 'fp16', length: 10, data: new Uint16Array(10).fill(0x7c00) })],
    ['fp16 NaN', () => ({ codec: 'fp16', length: 10, data: new Uint16Array(10).fill(0xfe00) })],
    ['int8 zero chunk', () => ({ ...good('int8'), chunk: 0 })],
    ['int8 fractional chunk', () => ({ ...good('int8'), chunk: 2.5 })],
    ['int8 too few scales', () => ({ ...good('int8'), scales: new Float32Array(1) })],
    ['int8 NaN scale', () => ({ ...good('int8'), scales: new Float32Array(Math.ceil(10 / (good('int8') as { chunk: number }).chunk)).fill(NaN) })],
    ['int4 data one byte short', () => ({ ...good('int4'), data: new Uint8Array(4) })],
    ['int4 data one element per byte', () => ({ ...good('int4'), data: new Uint8Array(10) })],
    ['int3 data sized for int4', () => ({ ...good('int3'), data: new Uint8Array(5) })],
    ['int2 data sized for int3', () => ({ ...good('int2'), data: new Uint8Array(4) })],
    ['sign data a byte too long', () => ({ ...good('sign'), data: new Uint8Array(3) })],
    ['topk index out of range', () => ({ codec: 'topk', length: 10, indices: Uint32Array.of(1, 10), values: new Float32Array(2) })],
    ['topk unsorted', () => ({ codec: 'topk', length: 10, indices: Uint32Array.of(3, 1), values: new Float32Array(2) })],
    ['topk duplicate index', () => ({ codec: 'topk', length: 10, indices: Uint32Array.of(2, 2), values: new Float32Array(2) })],
    ['topk length mismatch', () => ({ codec: 'topk', length: 10, indices: Uint32Array.of(1, 2), values: new Float32Array(3) })],
    ['topk more entries than length', () => ({ codec: 'topk', length: 10, indices: Uint32Array.from({ length: 11 }, (_, i) => i), values: new Float32Array(11) })],
    ['topk NaN value', () => ({ codec: 'topk', length: 10, indices: Uint32Array.of(1), values: Float32Array.of(NaN) })],
    ['topk indices as plain array', () => ({ codec: 'topk', length: 10, indices: [1], values: Float32Array.of(1) })],
  ];
  it.each(bad)('refuses %s with a PROTO_ERR code', (_name, make) => {
    let err: unknown;
    try {
      decodeMessage(frameWith(make()), { maxTensorLength: 10 });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: expect.stringMatching(/^PROTO_ERR_/) });
  });
});
