import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '@dtrain/common/testing';
import { SseHub, sseFrame } from './sse-hub';

/** Just enough of a ServerResponse: records writes; `backlog` plays unsent bytes. */
class FakeResponse {
  status = 0;
  headers: Record<string, string> = {};
  written: string[] = [];
  ended = false;
  destroyed = false;
  backlog = 0;
  private onClose: (() => void) | undefined;
  get writableLength(): number {
    return this.backlog;
  }
  writeHead(status: number, headers: Record<string, string>): this {
    this.status = status;
    this.headers = headers;
    return this;
  }
  write(s: string): boolean {
    this.written.push(s);
    return true;
  }
  end(s?: string): void {
    if (s) this.written.push(s);
    this.ended = true;
    this.onClose?.();
  }
  destroy(): void {
    this.destroyed = true;
    this.onClose?.();
  }
  on(event: string, fn: () => void): this {
    if (event === 'close') this.onClose = fn;
    return this;
  }
}

const asRes = (f: FakeResponse): ServerResponse => f as unknown as ServerResponse;

describe('SseHub', () => {
  it('frames events as text/event-stream with JSON data on one line', () => {
    expect(sseFrame('steps', [{ a: 'x\ny' }])).toBe('event: steps\ndata: [{"a":"x\\ny"}]\n\n');
  });

  it('sends the retry hint and first frames on connect, then every broadcast', () => {
    const hub = new SseHub(new ManualClock(0));
    const r = new FakeResponse();
    expect(hub.add(asRes(r), sseFrame('snapshot', { n: 1 }))).toBe(true);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toContain('text/event-stream');
    expect(r.written[0]).toMatch(/^retry: \d+\n\nevent: snapshot\n/);
    hub.broadcast('status', { ok: true });
    expect(r.written.at(-1)).toBe('event: status\ndata: {"ok":true}\n\n');
  });

  it('accepts viewers up to the limit and answers 503 with a code beyond it', () => {
    const hub = new SseHub(new ManualClock(0), { maxClients: 2 });
    expect(hub.add(asRes(new FakeResponse()), '')).toBe(true);
    expect(hub.add(asRes(new FakeResponse()), '')).toBe(true);
    const third = new FakeResponse();
    expect(hub.add(asRes(third), '')).toBe(false);
    expect(third.status).toBe(503);
    expect(JSON.parse(third.written[0]!)).toMatchObject({ code: 'TELEMETRY_ERR_TOO_MANY_VIEWERS' });
    expect(hub.size).toBe(2);
  });

  it('cuts off a viewer that stopped reading instead of buffering for it', () => {
    const hub = new SseHub(new ManualClock(0), { maxBufferedBytes: 1000 });
    const slow = new FakeResponse();
    const fast = new FakeResponse();
    hub.add(asRes(slow), '');
    hub.add(asRes(fast), '');
    slow.backlog = 1000;
    hub.broadcast('a', 1);
    expect(slow.destroyed).toBe(false);
    slow.backlog = 1001;
    hub.broadcast('b', 2);
    expect(slow.destroyed).toBe(true);
    expect(hub.size).toBe(1);
    expect(fast.written.at(-1)).toContain('event: b');
  });

  it('keeps idle streams alive with comments and ends them all on close', () => {
    const clock = new ManualClock(0);
    const hub = new SseHub(clock, { keepaliveMs: 1000 });
    const r = new FakeResponse();
    hub.add(asRes(r), '');
    clock.advance(1000);
    expect(r.written.at(-1)).toBe(': keepalive\n\n');
    hub.close();
    expect(r.ended).toBe(true);
    expect(hub.size).toBe(0);
    const n = r.written.length;
    clock.advance(5000);
    expect(r.written.length).toBe(n);
  });
});
