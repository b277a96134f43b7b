import { createRng } from '@dtrain/common';
import { describe, expect, it } from 'vitest';
import { errorMessage } from './error-message';
import { checkTensorLength, encodedTensorBytes, type EncodedTensor } from './encoded-tensor';
import type { Message } from './messages';
import { PROTOCOL_ERROR_CODES, ProtocolError } from './protocol-error';
import { sampleMessages } from './testing';
import { validateMessage } from './validate-message';
import { WIRE_ERROR_CODES } from './wire-error-codes';

function failure(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw err;
  }
  throw new Error('expected a ProtocolError');
}

const samples = sampleMessages(createRng(4), 12);
/** A sample with some fields replaced (or removed, with undefined). */
const withFields = (msg: Message, patch: Record<string, unknown>): unknown => ({ ...msg, ...patch });
const codeOf = (x: unknown): string => failure(() => validateMessage(x)).code;

describe('validateMessage', () => {
  it('accepts every sample and returns a clean copy', () => {
    for (const msg of Object.values(samples)) {
      const back = validateMessage(msg);
      expect(back).toEqual(msg);
      expect(back).not.toBe(msg);
    }
  });

  it('classifies the top level: not an object, version, type', () => {
    expect(codeOf(null)).toBe('PROTO_ERR_MALFORMED');
    expect(codeOf([samples.leave])).toBe('PROTO_ERR_MALFORMED');
    expect(codeOf(new Map())).toBe('PROTO_ERR_MALFORMED');
    expect(codeOf({ type: 'leave', reason: 'x' })).toBe('PROTO_ERR_BAD_VERSION');
    expect(codeOf({ type: 'leave', v: '1', reason: 'x' })).toBe('PROTO_ERR_BAD_VERSION');
    expect(codeOf({ type: 'nope', v: 1 })).toBe('PROTO_ERR_UNKNOWN_TYPE');
    expect(codeOf({ v: 1 })).toBe('PROTO_ERR_UNKNOWN_TYPE');
    expect(codeOf({ type: 'toString', v: 1 })).toBe('PROTO_ERR_UNKNOWN_TYPE');
  });

  it('names the bad field in details', () => {
    const err = failure(() => validateMessage(withFields(samples.assign, { shard: { ...samples.assign.shard, index: 3 } })));
    expect(err.code).toBe('PROTO_ERR_BAD_FIELD');
    expect(err.details?.field).toBe('shard.index');
  });

  it.each([
    ['join', { requestId: -1 }, 'PROTO_ERR_BAD_FIELD'],
    ['join', { requestId: 1.5 }, 'PROTO_ERR_BAD_FIELD'],
    ['join', { workerId: 'has space' }, 'PROTO_ERR_BAD_FIELD'],
    ['join', { capabilities: { backend: 'wasm', compression: [], maxFrameBytes: 1024, trainableLayout: 'yes' } }, 'PROTO_ERR_BAD_FIELD'],
    ['join', { workerId: 'a'.repeat(65) }, 'PROTO_ERR_TOO_LONG'],
    ['join', { token: 't'.repeat(513) }, 'PROTO_ERR_TOO_LONG'],
    ['join', { capabilities: { backend: 'cpu', compression: 'fp32', maxFrameBytes: 1 } }, 'PROTO_ERR_BAD_FIELD'],
    ['join', { capabilities: undefined }, 'PROTO_ERR_BAD_FIELD'],
    ['welcome', { model: undefined }, 'PROTO_ERR_BAD_FIELD'],
    ['welcome', { model: { lr: NaN } }, 'PROTO_ERR_NOT_FINITE'],
    ['welcome', { manifest: { names: ['a'], shapes: [[2, 2]], totalSize: 5 } }, 'PROTO_ERR_BAD_FIELD'],
    ['welcome', { manifest: { names: ['a', 'b'], shapes: [[2, 2]], totalSize: 4 } }, 'PROTO_ERR_BAD_FIELD'],
    ['welcome', { mode: { kind: 'sync', staleness: 0 } }, 'PROTO_ERR_BAD_FIELD'],
    ['welcome', { hyper: { batchSize: 4097, learningRate: 0.1, epochs: 1, seed: 1 } }, 'PROTO_ERR_BAD_FIELD'],
    ['welcome', { hyper: { batchSize: 8, learningRate: Infinity, epochs: 1, seed: 1 } }, 'PROTO_ERR_NOT_FINITE'],
    ['welcome', { pushLayout: 'frozen' }, 'PROTO_ERR_BAD_FIELD'],
    ['assign', { members: 0 }, 'PROTO_ERR_BAD_FIELD'],
    ['work', { indices: [1, 2, 3] }, 'PROTO_ERR_BAD_FIELD'],
    ['work', { indices: new Int32Array(3) }, 'PROTO_ERR_BAD_FIELD'],
    ['work', { indices: new Uint32Array(0) }, 'PROTO_ERR_BAD_FIELD'],
    ['work', { indices: new Uint32Array(4097) }, 'PROTO_ERR_TOO_LONG'],
    ['heartbeat', { ts: NaN }, 'PROTO_ERR_NOT_FINITE'],
    ['heartbeat', { stats: { step: 1, samplesPerSec: -1, computeMs: 1, rssBytes: 1 } }, 'PROTO_ERR_BAD_FIELD'],
    ['heartbeat', { stats: { step: 1, samplesPerSec: 1, computeMs: 1, rssBytes: 1, cpuMs: -1, cpuSteps: 1 } }, 'PROTO_ERR_BAD_FIELD'],
    ['heartbeat', { stats: { step: 1, samplesPerSec: 1, computeMs: 1, rssBytes: 1, cpuMs: NaN, cpuSteps: 1 } }, 'PROTO_ERR_NOT_FINITE'],
    ['heartbeat', { stats: { step: 1, samplesPerSec: 1, computeMs: 1, rssBytes: 1, cpuMs: 1, cpuSteps: 1.5 } }, 'PROTO_ERR_BAD_FIELD'],
    ['leave', { reason: 42 }, 'PROTO_ERR_BAD_FIELD'],
    ['error', { code: 'lowercase' }, 'PROTO_ERR_BAD_FIELD'],
    ['error', { message: 'm'.repeat(1025) }, 'PROTO_ERR_TOO_LONG'],
    ['error', { fatal: 'yes' }, 'PROTO_ERR_BAD_FIELD'],
    ['done', { reason: 'crashed' }, 'PROTO_ERR_BAD_FIELD'],
    ['done', { summary: [1, 2] }, 'PROTO_ERR_BAD_FIELD'],
    ['done', { summary: { big: Array.from({ length: 5000 }, () => 1) } }, 'PROTO_ERR_TOO_LONG'],
    ['done', { summary: { f: () => 1 } }, 'PROTO_ERR_BAD_FIELD'],
    ['weights', { encoding: 'delta', baseVersion: undefined }, 'PROTO_ERR_BAD_FIELD'],
    ['weights', { baseVersion: 9 }, 'PROTO_ERR_BAD_FIELD'],
    ['weights', { encoding: 'full', baseVersion: undefined, layout: 'all' }, 'PROTO_ERR_BAD_FIELD'],
    ['weights', { layout: 'trainable' }, 'PROTO_ERR_BAD_FIELD'],
    ['push', { loss: NaN }, 'PROTO_ERR_NOT_FINITE'],
    ['push', { loss: -Infinity }, 'PROTO_ERR_NOT_FINITE'],
    ['push', { samples: 0 }, 'PROTO_ERR_BAD_FIELD'],
    ['push', { samples: 4096 * 64 + 1 }, 'PROTO_ERR_BAD_FIELD'],
    ['push', { step: 2 ** 53 }, 'PROTO_ERR_BAD_FIELD'],
    ['push', { computeMs: -1 }, 'PROTO_ERR_BAD_FIELD'],
    ['ack', { status: 'ok' }, 'PROTO_ERR_BAD_FIELD'],
  ] as const)('%s with %o → %s', (type, patch, code) => {
    expect(codeOf(withFields(samples[type], patch))).toBe(code);
  });

  it('treats nil optional fields as absent and keeps augment: null', () => {
    expect(validateMessage(withFields(samples.error, { replyTo: null }))).not.toHaveProperty('replyTo');
    const w = validateMessage(withFields(samples.welcome, { hyper: { ...samples.welcome.hyper, augment: null } }));
    expect(w.type === 'welcome' && w.hyper.augment).toBeNull();
  });

  it('keeps a packed layout on full weights', () => {
    const w = validateMessage(withFields(samples.weights, { encoding: 'full', baseVersion: undefined, layout: 'trainable' }));
    expect(w).toMatchObject({ type: 'weights', encoding: 'full', layout: 'trainable' });
  });

  it('keeps a "__proto__" key in free-form data as plain data', () => {
    const summary = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const back = validateMessage(withFields(samples.done, { summary }));
    expect(back.type === 'done' && Object.getPrototypeOf(back.summary)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('turns hostile getters into a ProtocolError', () => {
    const evil = { ...samples.leave };
    Object.defineProperty(evil, 'reason', { get: () => { throw new TypeError('boom'); }, enumerable: true });
    expect(codeOf(evil)).toBe('PROTO_ERR_MALFORMED');
  });
});

describe('tensor validation', () => {
  const weights = (payload: unknown): unknown => ({ type: 'weights', v: 1, version: 1, encoding: 'full', payload });
  const f32 = (n: number): Float32Array => new Float32Array(n);

  it.each([
    [{ codec: 'fp64', length: 1, data: f32(1) }, 'PROTO_ERR_BAD_TENSOR'],
    [{ codec: 'fp32', length: 2, data: f32(1) }, 'PROTO_ERR_BAD_TENSOR'],
    [{ codec: 'fp32', length: 1, data: new Float64Array(1) }, 'PROTO_ERR_BAD_TENSOR'],
    [{ codec: 'fp32', length: 2, data: Float32Array.of(1, NaN) }, 'PROTO_ERR_NOT_FINITE'],
    [{ codec: 'fp32', length: 1, data: Float32Array.of(Infinity) }, 'PROTO_ERR_NOT_FINITE'],
    [{ codec: 'fp32', length: -1, data: f32(0) }, 'PROTO_ERR_BAD_FIELD'],
    [{ codec: 'fp16', length: 1, data: Uint16Array.of(0x7c00) }, 'PROTO_ERR_NOT_FINITE'],
    [{ codec: 'fp16', length: 1, data: Uint16Array.of(0xfe01) }, 'PROTO_ERR_NOT_FINITE'],
    [{ codec: 'fp16', length: 1, data: new Int16Array(1) }, 'PROTO_ERR_BAD_TENSOR'],
    [{ codec: 'int8', length: 5, chunk: 0, scales: f32(1), data: new Int8Array(5) }, 'PROTO_ERR_BAD_FIELD'],
    [{ codec: 'int8', length: 5, chunk: 2, scales: f32(2), data: new Int8Array(5) }, 'PROTO_ERR_BAD_TENSOR'],
    [{ codec: 'int8', length: 5, chunk: 2, scales: f32(3), data: new Uint8Array(5) }, 'PROTO_ERR_BAD_TENSOR'],
    [{ codec: 'int8', length: 1, chunk: 2, scales: Float32Array.of(NaN), data: new Int8Array(1) }, 'PROTO_ERR_NOT_FINITE'],
    [{ codec: 'int4', length: 5, chunk: 2, scales: f32(3), data: new Uint8Array(5) }, 'PROTO_ERR_BAD_TENSOR'],
    [{ codec: 'int4', length: 5, chunk: 2, scales: f32(3), data: new Int8Array(3) }, 'PROTO_ERR_BAD_TENSOR'],
    [{ codec: 'int4', length: 5, chunk: 2, scales: f32(2), data: new Uint8Array(3) }, 'PROTO_ERR_BAD_TENSOR'],
    [{ codec: 'int4', length: 5, chunk: 0, scales: f32(3), data: new Uint8Array(3) }, 'PROTO_ERR_BAD_FIELD'],
    [{ codec: 'sign', length: 9, chunk: 9, scales: f32(1), data: new Uint8Array(1) }, 'PROTO_ERR_BAD_TENSOR'],
    [{ codec: 'int3', length: 9, chunk: 9, scales: f32(1), data: new Uint8Array(3) }, 'PROTO_ERR_BAD_TENSOR'],
    [{ codec: 'int2', length: 9, chunk: 9, scales: f32(1), data: new Uint8Array(2) }, 'PROTO_ERR_BAD_TENSOR'],
    [{ codec: 'sign', length: 9, chunk: 9, scales: Float32Array.of(NaN), data: new Uint8Array(2) }, 'PROTO_ERR_NOT_FINITE'],
    [{ codec: 'topk', length: 5, indices: Uint32Array.of(1, 1), values: f32(2) }, 'PROTO_ERR_BAD_TENSOR'],
    [{ codec: 'topk', length: 5, indices: Uint32Array.of(3, 1), values: f32(2) }, 'PROTO_ERR_BAD_TENSOR'],
    [{ codec: 'topk', length: 5, indices: Uint32Array.of(5), values: f32(1) }, 'PROTO_ERR_BAD_TENSOR'],
    [{ codec: 'topk', length: 5, indices: Uint32Array.of(1), values: f32(2) }, 'PROTO_ERR_BAD_TENSOR'],
    [{ codec: 'topk', length: 2, indices: Uint32Array.of(0, 1, 2), values: f32(3) }, 'PROTO_ERR_BAD_TENSOR'],
    [{ codec: 'topk', length: 5, indices: Uint32Array.of(0), values: Float32Array.of(NaN) }, 'PROTO_ERR_NOT_FINITE'],
  ])('%o → %s', (payload, code) => {
    expect(codeOf(weights(payload))).toBe(code);
  });

  it('accepts well-formed packed int4 and sign tensors (odd lengths round the byte count up)', () => {
    for (const payload of [
      { codec: 'int4', length: 5, chunk: 2, scales: f32(3), data: new Uint8Array(3) },
      { codec: 'sign', length: 9, chunk: 4, scales: f32(3), data: new Uint8Array(2) },
      { codec: 'int3', length: 9, chunk: 9, scales: f32(1), data: new Uint8Array(4) },
      { codec: 'int2', length: 9, chunk: 9, scales: f32(1), data: new Uint8Array(3) },
    ]) {
      expect(validateMessage(weights(payload)).type).toBe('weights');
    }
  });

  it('accepts a tensor at maxTensorLength and refuses one element more', () => {
    const ok = { codec: 'int8', length: 10, chunk: 4, scales: f32(3), data: new Int8Array(10) };
    expect(validateMessage(weights(ok), { maxTensorLength: 10 }).type).toBe('weights');
    const err = failure(() => validateMessage(weights(ok), { maxTensorLength: 9 }));
    expect(err.code).toBe('PROTO_ERR_TOO_LONG');
  });

  it('checkTensorLength compares with the manifest size', () => {
    const t: EncodedTensor = { codec: 'topk', length: 80, indices: Uint32Array.of(3), values: Float32Array.of(1) };
    expect(() => checkTensorLength(t, 80)).not.toThrow();
    expect(failure(() => checkTensorLength(t, 81)).code).toBe('PROTO_ERR_BAD_SHAPE');
  });

  it('encodedTensorBytes counts payload bytes per codec', () => {
    expect(encodedTensorBytes({ codec: 'fp32', length: 10, data: f32(10) })).toBe(40);
    expect(encodedTensorBytes({ codec: 'fp16', length: 10, data: new Uint16Array(10) })).toBe(20);
    expect(encodedTensorBytes({ codec: 'int8', length: 10, chunk: 4, scales: f32(3), data: new Int8Array(10) })).toBe(22);
    expect(encodedTensorBytes({ codec: 'topk', length: 10, indices: new Uint32Array(2), values: f32(2) })).toBe(16);
  });
});

describe('error codes', () => {
  it('errorMessage builds valid error messages for every code, cutting long texts', () => {
    for (const code of [...PROTOCOL_ERROR_CODES, ...Object.keys(WIRE_ERROR_CODES)] as (keyof typeof WIRE_ERROR_CODES)[]) {
      const msg = errorMessage(code, 'x'.repeat(5000), true, 7);
      expect(validateMessage(msg)).toEqual(msg);
      expect(msg.message).toHaveLength(1024);
    }
    expect(errorMessage('PS_ERR_NOT_JOINED', 'join first', false)).not.toHaveProperty('replyTo');
  });
});
