import { createRng } from '@dtrain/common';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from './codec';
import { scanFrame } from './frame-scanner';
import { DEFAULT_LIMITS } from './limits';
import { MESSAGE_TYPES, type Message } from './messages';
import { ProtocolError } from './protocol-error';
import { sampleMessages, sampleTensor } from './testing';
import { TENSOR_CODECS, type EncodedTensor } from './encoded-tensor';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err.code;
    throw err;
  }
  throw new Error('expected a ProtocolError');
}

/** Copies a frame to a fresh buffer at `offset`, as a socket might hand it over. */
function placeAt(frame: Uint8Array, offset: number): Uint8Array {
  const buf = new Uint8Array(frame.length + offset);
  buf.set(frame, offset);
  return buf.subarray(offset);
}

/** A standalone ArrayBuffer holding just the frame (Buffer#slice would share msgpackr's buffer). */
const exactBuffer = (frame: Uint8Array): ArrayBuffer => Uint8Array.prototype.slice.call(frame).buffer as ArrayBuffer;

function expectSameTensor(a: EncodedTensor, b: EncodedTensor): void {
  expect(b).toEqual(a);
  for (const [key, value] of Object.entries(a)) {
    if (ArrayBuffer.isView(value)) expect((b as unknown as Record<string, unknown>)[key]).toBeInstanceOf(value.constructor);
  }
}

describe('encodeMessage / decodeMessage', () => {
  const samples = sampleMessages(createRng(1), 37);

  it.each(MESSAGE_TYPES)('round-trips %s exactly', (type) => {
    const msg = samples[type];
    const back = decodeMessage(encodeMessage(msg));
    expect(back).toEqual(msg);
    if (msg.type === 'work') expect((back as typeof msg).indices).toBeInstanceOf(Uint32Array);
    if (msg.type === 'weights') expectSameTensor(msg.payload, (back as typeof msg).payload);
    if (msg.type === 'push' && msg.grad) expectSameTensor(msg.grad, (back as typeof msg).grad!);
  });

  it.each(TENSOR_CODECS)('round-trips %s tensors of odd lengths with their classes, aligned', (codec) => {
    const rng = createRng(2);
    for (const length of [0, 1, 3, 255, 256, 70_001]) {
      const payload = sampleTensor(codec, length, rng);
      const msg: Message = { type: 'weights', v: 1, version: 1, encoding: 'full', payload };
      const frame = encodeMessage(msg);
      for (const bin of scanFrame(frame, DEFAULT_LIMITS).bins) expect(bin.offset % 4).toBe(0);
      const back = decodeMessage(placeAt(frame, 8)) as typeof msg;
      expectSameTensor(payload, back.payload);
    }
  });

  it('views aligned payloads in place and copies misaligned ones into usable arrays', () => {
    const payload = sampleTensor('fp32', 1000, createRng(3));
    const frame = encodeMessage({ type: 'weights', v: 1, version: 1, encoding: 'full', payload });
    const aligned = placeAt(frame, 16);
    const a = decodeMessage(aligned) as Extract<Message, { type: 'weights' }>;
    expect(a.payload.codec === 'fp32' && a.payload.data.buffer).toBe(aligned.buffer);
    const odd = placeAt(frame, 3);
    const b = decodeMessage(odd) as Extract<Message, { type: 'weights' }>;
    expect(b.payload.codec === 'fp32' && b.payload.data.buffer).not.toBe(odd.buffer);
    expect(b.payload).toEqual(payload);
  });

  it('encodes a large fp32 tensor at about its raw size', () => {
    const n = 225_000;
    const payload: EncodedTensor = { codec: 'fp32', length: n, data: new Float32Array(n).fill(0.5) };
    const frame = encodeMessage({ type: 'push', v: 1, workerId: 'w', step: 1, baseVersion: 0, samples: 1, loss: 0, grad: payload });
    expect(frame.byteLength - n * 4).toBeGreaterThan(0);
    expect(frame.byteLength - n * 4).toBeLessThan(128);
    // Its own exact-size buffer: sending it keeps nothing else alive.
    expect(frame.byteOffset).toBe(0);
    expect(frame.buffer.byteLength).toBe(frame.byteLength);
  });

  it('accepts fragments, ArrayBuffer and Buffer frames', () => {
    const frame = encodeMessage(samples.push);
    const parts = [Buffer.from(frame.subarray(0, 10)), Buffer.from(frame.subarray(10, 50)), Buffer.from(frame.subarray(50))];
    expect(decodeMessage(parts)).toEqual(samples.push);
    expect(decodeMessage([Buffer.from(frame)])).toEqual(samples.push);
    expect(decodeMessage(exactBuffer(frame))).toEqual(samples.push);
  });

  it('drops unknown fields and never copies them', () => {
    const withExtra = { ...samples.leave, extra: 'x', nested: { a: 1 } } as unknown as Message;
    const back = decodeMessage(encodeMessage(withExtra, { validate: false }));
    expect(back).toEqual(samples.leave);
    expect(Object.keys(back)).not.toContain('extra');
  });

  it('refuses to encode an invalid message unless told not to validate', () => {
    const bad = { ...samples.push, loss: NaN } as Message;
    expect(codeOf(() => encodeMessage(bad))).toBe('PROTO_ERR_NOT_FINITE');
    expect(codeOf(() => decodeMessage(encodeMessage(bad, { validate: false })))).toBe('PROTO_ERR_NOT_FINITE');
  });
});

describe('frame limits', () => {
  const leave = (reason: string): Uint8Array => encodeMessage({ type: 'leave', v: 1, reason: reason });

  it('passes a frame of exactly maxFrameBytes and refuses one byte more before decoding', () => {
    const frame = leave('bye');
    expect(decodeMessage(frame, { maxFrameBytes: frame.byteLength }).type).toBe('leave');
    expect(codeOf(() => decodeMessage(frame, { maxFrameBytes: frame.byteLength - 1 }))).toBe('PROTO_ERR_FRAME_TOO_LARGE');
    const parts = [frame.subarray(0, 4), frame.subarray(4)];
    expect(codeOf(() => decodeMessage(parts, { maxFrameBytes: frame.byteLength - 1 }))).toBe('PROTO_ERR_FRAME_TOO_LARGE');
    expect(codeOf(() => decodeMessage(exactBuffer(frame), { maxFrameBytes: frame.byteLength - 1 }))).toBe(
      'PROTO_ERR_FRAME_TOO_LARGE',
    );
  });

  it('checks the size before looking at the bytes', () => {
    const garbage = new Uint8Array(101).fill(0xc1);
    expect(codeOf(() => decodeMessage(garbage, { maxFrameBytes: 100 }))).toBe('PROTO_ERR_FRAME_TOO_LARGE');
    expect(codeOf(() => decodeMessage(garbage, { maxFrameBytes: 101 }))).toBe('PROTO_ERR_MALFORMED');
  });

  it('passes a tensor of exactly maxTensorLength and refuses one element more', () => {
    const at = (length: number): Uint8Array =>
      encodeMessage(
        { type: 'weights', v: 1, version: 1, encoding: 'full', payload: { codec: 'fp32', length, data: new Float32Array(length) } },
        { validate: false },
      );
    expect(decodeMessage(at(1000), { maxTensorLength: 1000 }).type).toBe('weights');
    expect(codeOf(() => decodeMessage(at(1001), { maxTensorLength: 1000 }))).toBe('PROTO_ERR_TOO_LONG');
  });

  it('refuses a wrong protocol version with expected and received', () => {
    const frame = encodeMessage({ ...leave('x'), v: 2 } as unknown as Message, { validate: false });
    try {
      decodeMessage(frame);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).code).toBe('PROTO_ERR_BAD_VERSION');
      expect((err as ProtocolError).details).toMatchObject({ expected: 1, received: 2 });
    }
  });

  it('rejects input that is not bytes', () => {
    expect(codeOf(() => decodeMessage('hello' as unknown as Uint8Array))).toBe('PROTO_ERR_MALFORMED');
    expect(codeOf(() => decodeMessage([1, 2] as unknown as Uint8Array[]))).toBe('PROTO_ERR_MALFORMED');
  });
});
