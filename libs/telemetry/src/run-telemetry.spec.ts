import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '@dtrain/common/testing';
import { HISTORY_FILE_NAME } from './constants';
import { readHistory } from './history-reader';
import { startRunTelemetry } from './run-telemetry';
import { fakeMember, fakeReport, fakeRunInfo, fakeView, parsePrometheusText, promValue } from './testing';

describe('startRunTelemetry', () => {
  it('feeds monitor, metrics, history and dashboard from the coordinator’s events', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dtrain-tele-'));
    const clock = new ManualClock(0);
    let trainEvals = 0;
    const t = await startRunTelemetry({
      info: fakeRunInfo({ runId: '' }),
      clock,
      historyPath: join(dir, HISTORY_FILE_NAME),
      historyStepIntervalMs: 0,
      dashboard: { host: '127.0.0.1', port: 0 },
      processMetrics: false,
      evaluateTrain: () => {
        trainEvals++;
        return fakeReport(0.3);
      },
    });
    try {
      const view = fakeView([fakeMember('w1', 1)]);
      t.begin({ runId: 'r-42' }, view);
      t.events.epochStarted?.(0);
      t.events.stepCompleted?.({ step: 1, version: 1, loss: 2, samples: 64, stepMs: 100, epoch: 0 });
      t.events.stepCompleted?.({ step: 2, version: 2, loss: 1, samples: 64, stepMs: 100, epoch: 0 });
      t.events.frameRejected?.('PS_ERR_RATE_LIMITED');
      t.events.epochCompleted?.(0, fakeReport(0.5));
      expect(trainEvals).toBe(1);

      const snap = (await (await fetch(new URL('api/snapshot', t.dashboard!.url))).json()) as { info: { runId: string }; epochs: { trainAccuracy: number }[]; steps: unknown[] };
      expect(snap.info.runId).toBe('r-42');
      expect(snap.steps).toHaveLength(2);
      expect(snap.epochs[0]!.trainAccuracy).toBeCloseTo(0.8);
      const prom = parsePrometheusText(await t.metrics.render());
      expect(promValue(prom, 'dtrain_steps_total')).toBe(2);
      expect(promValue(prom, 'dtrain_rejected_frames_total', { code: 'PS_ERR_RATE_LIMITED' })).toBe(1);
      t.finish(true, fakeReport(0.5), { test_accuracy: 0.8 });
    } finally {
      await t.close();
    }
    const [run] = await readHistory(join(dir, HISTORY_FILE_NAME));
    expect(run!.info.runId).toBe('r-42');
    expect(run!.steps).toHaveLength(2);
    expect(run!.epochs[0]!.point.trainAccuracy).toBeCloseTo(0.8);
    expect(run!.summary?.ok).toBe(true);
  });

  it('never lets a telemetry failure reach the coordinator', async () => {
    const t = await startRunTelemetry({
      info: fakeRunInfo(),
      clock: new ManualClock(0),
      processMetrics: false,
      evaluateTrain: () => {
        throw new Error('out of memory');
      },
    });
    t.begin({});
    t.monitor.subscribe(() => {
      throw new Error('viewer bug');
    });
    expect(() => t.events.epochCompleted?.(0, fakeReport())).not.toThrow();
    // The test evaluation was still recorded, without the train subset.
    expect(t.monitor.snapshot().epochs[0]!.trainAccuracy).toBeNull();
    await t.close();
  });
});
