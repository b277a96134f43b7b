import type { ServerResponse } from 'node:http';
import type { Clock, TimerHandle } from '@dtrain/common';
import { DEFAULT_MAX_SSE_BUFFER_BYTES, DEFAULT_MAX_SSE_CLIENTS, DEFAULT_SSE_KEEPALIVE_MS, SSE_RETRY_MS } from './constants';

export interface SseHubOptions {
  maxClients: number;
  /** A client with more unsent bytes than this is cut off (it reconnects and gets a fresh snapshot). */
  maxBufferedBytes: number;
  keepaliveMs: number;
}

export const DEFAULT_SSE_HUB_OPTIONS: SseHubOptions = {
  maxClients: DEFAULT_MAX_SSE_CLIENTS,
  maxBufferedBytes: DEFAULT_MAX_SSE_BUFFER_BYTES,
  keepaliveMs: DEFAULT_SSE_KEEPALIVE_MS,
};

/** One frame of the text/event-stream format: `event:` name and `data:` lines (JSON has no raw newlines). */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * Server-sent events to every connected viewer. One-way push is all a dashboard needs, it works
 * through proxies that speak plain HTTP, and the browser reconnects by itself.
 */
export class SseHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly options: SseHubOptions;
  private keepalive: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    options: Partial<SseHubOptions> = {},
  ) {
    this.options = { ...DEFAULT_SSE_HUB_OPTIONS, ...options };
  }

  get size(): number {
    return this.clients.size;
  }

  /** Takes over `res` as an event stream and sends `first` frames to it; false (and 503) when full. */
  add(res: ServerResponse, first: string): boolean {
    if (this.clients.size >= this.options.maxClients) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '10' });
      res.end(JSON.stringify({ code: 'TELEMETRY_ERR_TOO_MANY_VIEWERS', message: `at most ${this.options.maxClients} viewers` }) + '\n');
      return false;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // nginx and similar would otherwise buffer the stream and deliver it in lumps.
      'x-accel-buffering': 'no',
    });
    res.write(`retry: ${SSE_RETRY_MS}\n\n` + first);
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
    this.keepalive ??= this.clock.setInterval(() => this.writeAll(': keepalive\n\n'), this.options.keepaliveMs);
    return true;
  }

  broadcast(event: string, data: unknown): void {
    if (this.clients.size > 0) this.writeAll(sseFrame(event, data));
  }

  /** Ends every stream (after what was already written is flushed). */
  close(): void {
    if (this.keepalive) this.clock.clearInterval(this.keepalive);
    this.keepalive = undefined;
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private writeAll(text: string): void {
    for (const res of this.clients) {
      if (res.writableLength > this.options.maxBufferedBytes) {
        this.clients.delete(res);
        res.destroy();
        continue;
      }
      res.write(text);
    }
  }
}
