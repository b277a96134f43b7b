import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parsePrometheusText, promValue, fakeMember, fakeReport, fakeRunInfo, fakeView } from './testing';
import { TrainingMetrics } from './training-metrics';

describe('TrainingMetrics', () => {
  it('exposes counters that move with the run, in text a Prometheus parser reads', async () => {
    const m = new TrainingMetrics({ processMetrics: false });
    const view = fakeView([fakeMember('w1', 1), fakeMember('w2', 2, {}, { state: 'lost' })]);
    m.attach(view);
    m.setInfo(fakeRunInfo({ runId: 'r-1', mode: 'ssp' }));
    const before = parsePrometheusText(await m.render());
    expect(promValue(before, 'dtrain_steps_total')).toBe(0);
    expect(promValue(before, 'dtrain_bytes_received_total')).toBe(0);

    m.step(64, 1.25, 200);
    m.step(64, 1.0, 700);
    m.frameRejected('PS_ERR_STALE_PUSH');
    m.frameRejected('PS_ERR_STALE_PUSH');
    m.frameRejected('PROTO_ERR_MALFORMED');
    m.pushDropped();
    m.memberChanged('lost');
    m.epoch(fakeReport(0.4), fakeReport(0.3));
    view.totals.bytesIn = 1000;
    view.totals.bytesOut = 5000;
    view.totals.aggregateMs = 1500;
    view.version = 2;

    const after = parsePrometheusText(await m.render());
    expect(promValue(after, 'dtrain_steps_total')).toBe(2);
    expect(promValue(after, 'dtrain_samples_total')).toBe(128);
    expect(promValue(after, 'dtrain_train_loss')).toBe(1);
    expect(promValue(after, 'dtrain_test_accuracy')).toBeCloseTo(0.8);
    expect(promValue(after, 'dtrain_test_loss')).toBeCloseTo(0.4);
    expect(promValue(after, 'dtrain_train_accuracy')).toBeCloseTo(0.8);
    expect(promValue(after, 'dtrain_active_workers')).toBe(1);
    expect(promValue(after, 'dtrain_model_version')).toBe(2);
    expect(promValue(after, 'dtrain_bytes_received_total')).toBe(1000);
    expect(promValue(after, 'dtrain_bytes_sent_total')).toBe(5000);
    expect(promValue(after, 'dtrain_aggregation_seconds_total')).toBe(1.5);
    expect(promValue(after, 'dtrain_rejected_frames_total', { code: 'PS_ERR_STALE_PUSH' })).toBe(2);
    expect(promValue(after, 'dtrain_rejected_frames_total', { code: 'PROTO_ERR_MALFORMED' })).toBe(1);
    expect(promValue(after, 'dtrain_dropped_pushes_total')).toBe(1);
    expect(promValue(after, 'dtrain_worker_changes_total', { change: 'lost' })).toBe(1);
    expect(promValue(after, 'dtrain_worker_changes_total', { change: 'joined' })).toBe(0);
    expect(promValue(after, 'dtrain_run_info', { run_id: 'r-1', mode: 'ssp', compression: 'none', dataset: 'mnist-subset', model: 'cnn', backend: 'cpu' })).toBe(1);
    const hist = after.find((f) => f.name === 'dtrain_step_duration_seconds')!;
    expect(hist.type).toBe('HISTOGRAM');
    expect(hist.metrics[0]!.count).toBe('2');
    expect(Number(hist.metrics[0]!.sum)).toBeCloseTo(0.9);
    expect(hist.metrics[0]!.buckets!['0.25']).toBe('1');
    expect(hist.metrics[0]!.buckets!['1']).toBe('2');
    // Bytes counters follow the coordinator's totals on every scrape, and never double count.
    view.totals.bytesIn = 1500;
    expect(promValue(parsePrometheusText(await m.render()), 'dtrain_bytes_received_total')).toBe(1500);
    expect(promValue(parsePrometheusText(await m.render()), 'dtrain_bytes_received_total')).toBe(1500);
  });

  it('adds process metrics when asked', async () => {
    const m = new TrainingMetrics({ processMetrics: true });
    const names = parsePrometheusText(await m.render()).map((f) => f.name);
    expect(names).toContain('process_cpu_seconds_total');
    expect(names).toContain('dtrain_steps_total');
  });

  it('serves GET /metrics as a route and leaves other paths to the next handler', async () => {
    const m = new TrainingMetrics({ processMetrics: false });
    const route = m.route();
    const server = createServer((req, res) => {
      if (!route(req, res)) res.writeHead(418).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const ok = await fetch(`${base}/metrics`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toContain('text/plain');
      expect(parsePrometheusText(await ok.text()).length).toBeGreaterThan(5);
      expect((await fetch(`${base}/metrics?x=1`)).status).toBe(200);
      expect((await fetch(`${base}/other`)).status).toBe(418);
      expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      server.close();
    }
  });
});
