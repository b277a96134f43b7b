import { createRng } from '@dtrain/common';
import { describe, expect, it } from 'vitest';
import type { Message } from './messages';
import { ProtocolError } from './protocol-error';
import { sampleMessages } from './testing';
import { validateMessage } from './validate-message';

const samples = sampleMessages(createRng(9), 12);
const codeOf = (x: unknown): string => {
  try {
    validateMessage(x);
  } catch (err) {
    if (err instanceof ProtocolError) return `${err.code} ${String(err.details?.['field'] ?? '')}`.trim();
    throw err;
  }
  return 'accepted';
};
const patch = (msg: Message, p: Record<string, unknown>): unknown => ({ ...msg, ...p });
const fp32 = (n: number) => ({ codec: 'fp32', length: n, data: new Float32Array(n) });

describe('the shard plane on the wire', () => {
  const welcome = samples.welcome; // manifest.totalSize 80
  const routes = [
    { url: 'ws://s0:7071', start: 0, end: 40 },
    { url: 'wss://s1:7071', start: 40, end: 80 },
  ];

  it('takes a welcome whose shards tile the weights, with a ticket', () => {
    expect(codeOf(patch(welcome, { shards: routes, shardTicket: 't' }))).toBe('accepted');
  });

  it('refuses shard routes that leave a gap, overlap, stop short, are not ws URLs, or come without a ticket', () => {
    expect(codeOf(patch(welcome, { shards: [routes[0], { ...routes[1], start: 41 }], shardTicket: 't' }))).toMatch(/^PROTO_ERR_BAD_FIELD shards\[1\]\.start/);
    expect(codeOf(patch(welcome, { shards: [routes[0], { ...routes[1], start: 39 }], shardTicket: 't' }))).toMatch(/^PROTO_ERR_BAD_FIELD/);
    expect(codeOf(patch(welcome, { shards: [routes[0]], shardTicket: 't' }))).toBe('PROTO_ERR_BAD_FIELD shards');
    expect(codeOf(patch(welcome, { shards: [{ ...routes[0], url: 'http://s0' }, routes[1]], shardTicket: 't' }))).toMatch(/^PROTO_ERR_BAD_FIELD shards\[0\]\.url/);
    expect(codeOf(patch(welcome, { shards: routes }))).toBe('PROTO_ERR_BAD_FIELD shardTicket');
    expect(codeOf(patch(welcome, { shards: [], shardTicket: 't' }))).toBe('PROTO_ERR_BAD_FIELD shards');
    expect(codeOf(patch(welcome, { shards: [{ ...routes[0], end: 0 }, routes[1]], shardTicket: 't' }))).toMatch(/^PROTO_ERR_BAD_FIELD shards\[0\]\.end/);
  });

  it('refuses a shard-open whose state is not the slice and its slots, or whose mask is not one byte a weight', () => {
    const open = samples['shard-open']; // 12 weights, slots m and v
    expect(codeOf(patch(open, { state: fp32(12 * 3 - 1) }))).toBe('PROTO_ERR_BAD_SHAPE state');
    expect(codeOf(patch(open, { state: { codec: 'fp16', length: 36, data: new Uint16Array(36) } }))).toBe('PROTO_ERR_BAD_FIELD state');
    expect(codeOf(patch(open, { mask: new Uint8Array(11) }))).toBe('PROTO_ERR_BAD_FIELD mask');
    expect(codeOf(patch(open, { optimizer: { ...open.optimizer, slots: ['M!'] } }))).toMatch(/^PROTO_ERR_BAD_FIELD optimizer\.slots\[0\]/);
    expect(codeOf(patch(open, { end: open.start }))).toMatch(/^PROTO_ERR_BAD_FIELD end/);
  });

  it('refuses a verdict with no parts, a part without samples, and a deliver naming no worker id', () => {
    const verdict = samples.verdict;
    expect(codeOf(patch(verdict, { parts: [] }))).toBe('PROTO_ERR_BAD_FIELD parts');
    expect(codeOf(patch(verdict, { parts: [{ workerId: 'a', step: 1, samples: 0 }] }))).toMatch(/^PROTO_ERR_BAD_FIELD parts\[0\]\.samples/);
    expect(codeOf(patch(verdict, { version: 0 }))).toMatch(/^PROTO_ERR_BAD_FIELD version/);
    expect(codeOf(patch(samples.deliver, { workers: ['ok', 'not ok'] }))).toMatch(/^PROTO_ERR_BAD_FIELD workers\[1\]/);
  });

  it('refuses a slice state that is not fp32 weights and whole slots', () => {
    const st = samples['slice-state'];
    expect(codeOf(patch(st, { state: fp32(35) }))).toBe('PROTO_ERR_BAD_FIELD state');
    expect(codeOf(patch(st, { optimizer: undefined, state: fp32(7) }))).toBe('accepted');
  });

  it('takes a push without a gradient (a sharded push header) but not one whose gradient is null', () => {
    const { grad: _grad, ...header } = samples.push;
    expect(codeOf(header)).toBe('accepted');
    expect(codeOf(patch(samples.push, { grad: null }))).toMatch(/^PROTO_ERR_BAD_FIELD grad/);
  });
});
