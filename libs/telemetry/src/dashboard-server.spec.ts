import { get } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@dtrain/common/testing';
import { isCodedError } from '@dtrain/common';
import type { RunningDashboard } from './dashboard-server';
import { startDashboard } from './dashboard-server';
import { RunMonitor } from './run-monitor';
import { fakeReport, fakeRunInfo, parsePrometheusText, promValue } from './testing';
import { TrainingMetrics } from './training-metrics';

interface SseEvent {
  event: string;
  data: unknown;
}

/** A minimal event-stream client: collects parsed events until `until` says stop. */
function readEvents(url: string, until: (events: SseEvent[]) => boolean): Promise<{ events: SseEvent[]; res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const events: SseEvent[] = [];
    let buf = '';
    const req = get(url, (res) => {
      if (res.statusCode !== 200) return resolve({ events, res });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const name = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (name && data) events.push({ event: name, data: JSON.parse(data) });
        }
        if (until(events)) {
          req.destroy();
          resolve({ events, res });
        }
      });
      res.on('end', () => resolve({ events, res }));
    });
    req.on('error', reject);
  });
}

const opened: RunningDashboard[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((d) => d.close()));
});

async function start(opts: { maxClients?: number } = {}) {
  const clock = new ManualClock(0);
  const monitor = new RunMonitor(fakeRunInfo(), clock);
  const metrics = new TrainingMetrics({ processMetrics: false });
  const d = await startDashboard({ host: '127.0.0.1', port: 0, sse: { maxClients: opts.maxClients ?? 4 } }, { monitor, metrics, clock });
  opened.push(d);
  return { d, monitor, metrics, clock };
}

describe('dashboard server', () => {
  it('serves the page with a strict CSP, our scripts and uPlot from node_modules', async () => {
    const { d } = await start();
    expect(d.port).toBeGreaterThan(0);
    expect(d.url).toBe(`http://127.0.0.1:${d.port}/`);
    const page = await fetch(d.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    for (const src of [...html.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) => m[1]!)) {
      const r = await fetch(new URL(src, d.url));
      expect(r.status, src).toBe(200);
      expect((await r.text()).length, src).toBeGreaterThan(100);
    }
    const uplot = await fetch(new URL('vendor/uPlot.iife.min.js', d.url));
    expect(uplot.headers.get('content-type')).toContain('javascript');
    expect((await fetch(new URL('../../etc/passwd', d.url))).status).toBe(404);
    expect((await fetch(new URL('static/../../package.json', d.url))).status).toBe(404);
    expect((await fetch(d.url, { method: 'POST' })).status).toBe(405);
    expect((await fetch(new URL('healthz', d.url))).status).toBe(200);
  });

  it('streams a snapshot on connect, then steps, epochs and the final result as they happen', async () => {
    const { d, monitor } = await start();
    monitor.recordStep({ step: 1, epoch: 0, loss: 2, samples: 10, stepMs: 5 });
    monitor.flush();
    const got = readEvents(new URL('events', d.url).href, (ev) => ev.some((e) => e.event === 'final'));
    // Wait until the stream is registered before producing updates.
    while (d.viewers === 0) await new Promise((r) => setTimeout(r, 5));
    monitor.recordStep({ step: 2, epoch: 0, loss: 1, samples: 10, stepMs: 5 });
    monitor.recordEpoch(0, fakeReport());
    monitor.emitStatus();
    monitor.finish();
    const { events, res } = await got;
    expect(res.headers['content-type']).toContain('text/event-stream');
    expect(events.map((e) => e.event)).toEqual(['snapshot', 'steps', 'epoch', 'status', 'final']);
    const snap = events[0]!.data as { steps: { step: number }[]; info: { runId: string } };
    expect(snap.steps.map((s) => s.step)).toEqual([1]);
    expect(snap.info.runId).toBe('run-0001');
    expect((events[1]!.data as { step: number }[]).map((s) => s.step)).toEqual([2]);
    expect((events[2]!.data as { evaluation: { html: string } }).evaluation.html).toContain('data-testid="confusion"');
    expect((events[4]!.data as { status: { state: string } }).status.state).toBe('finished');
  });

  it('answers /api/snapshot and /metrics', async () => {
    const { d, monitor, metrics } = await start();
    monitor.recordStep({ step: 1, epoch: 0, loss: 2, samples: 10, stepMs: 5 });
    metrics.step(10, 2, 5);
    const snap = (await (await fetch(new URL('api/snapshot', d.url))).json()) as { steps: unknown[] };
    expect(snap.steps).toHaveLength(1);
    const text = await (await fetch(new URL('metrics', d.url))).text();
    expect(promValue(parsePrometheusText(text), 'dtrain_steps_total')).toBe(1);
  });

  it('turns away viewers beyond the limit with 503 and a code', async () => {
    const { d } = await start({ maxClients: 1 });
    const first = readEvents(new URL('events', d.url).href, (ev) => ev.length >= 1);
    await first;
    // The first stream was closed by the client after one event; open one that stays.
    const holder = get(new URL('events', d.url));
    while (d.viewers < 1) await new Promise((r) => setTimeout(r, 5));
    const r = await fetch(new URL('events', d.url));
    expect(r.status).toBe(503);
    expect(((await r.json()) as { code: string }).code).toBe('TELEMETRY_ERR_TOO_MANY_VIEWERS');
    holder.destroy();
  });

  it('ends open streams on close and refuses a bad port', async () => {
    const { d } = await start();
    const got = readEvents(new URL('events', d.url).href, () => false);
    while (d.viewers === 0) await new Promise((r) => setTimeout(r, 5));
    await d.close();
    const { events } = await got;
    expect(events.map((e) => e.event)).toEqual(['snapshot']);
    let code: string | undefined;
    try {
      await startDashboard({ host: '127.0.0.1', port: 70_000 }, { monitor: new RunMonitor(fakeRunInfo(), new ManualClock(0)) });
    } catch (err) {
      code = isCodedError(err) ? err.code : undefined;
    }
    expect(code).toBe('TELEMETRY_ERR_BAD_OPTION');
  });

  it('reports a port in use as TELEMETRY_ERR_LISTEN', async () => {
    const { d } = await start();
    let code: string | undefined;
    try {
      await startDashboard({ host: '127.0.0.1', port: d.port }, { monitor: new RunMonitor(fakeRunInfo(), new ManualClock(0)) });
    } catch (err) {
      code = isCodedError(err) ? err.code : undefined;
    }
    expect(code).toBe('TELEMETRY_ERR_LISTEN');
  });
});
