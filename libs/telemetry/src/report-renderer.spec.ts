import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '@dtrain/common/testing';
import { isCodedError } from '@dtrain/common';
import { HISTORY_FILE_NAME } from './constants';
import type { RunHistory } from './history-reader';
import { HistoryWriter } from './history-writer';
import { writeReport } from './report-file';
import { renderReport } from './report-renderer';
import { loadAssets } from './static-assets';
import { fakeReport, fakeRunInfo } from './testing';

function run(): RunHistory {
  const report = fakeReport(0.42);
  return {
    info: fakeRunInfo({ runId: 'run-xyz', classNames: ['cat', 'dog', '</script>'] }),
    steps: [1, 2, 3, 4].map((s) => ({ step: s, epoch: s <= 2 ? 1 : 2, t: s * 100, loss: 2 / s, samples: 64, stepMs: 90 })),
    epochs: [
      { point: { epoch: 1, step: 2, t: 250, testAccuracy: 0.7, testLoss: 0.9, trainLoss: 1.5, trainAccuracy: 0.72, trainEvalLoss: 0.8, macroF1: 0.68 }, report },
      { point: { epoch: 2, step: 4, t: 450, testAccuracy: 0.8, testLoss: 0.42, trainLoss: 0.6, trainAccuracy: 0.83, trainEvalLoss: 0.4, macroF1: 0.79 }, report },
    ],
    summary: { ok: true, report, summary: { samples_per_s: 512.3, train_seconds: 4.5, bytes_per_step: 3_600_000 } },
  };
}

/** The JSON the report's charts are drawn from. */
function inlineData(html: string): { steps: { step: number; loss: number }[]; epochs: { testAccuracy: number }[] } {
  const m = /<script type="application\/json" id="dtrain-data">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error('no inline data');
  return JSON.parse(m[1]!) as never;
}

describe('renderReport', () => {
  it('is one self-contained file: chart library, our scripts and styles inline, nothing fetched', async () => {
    const html = renderReport(run(), await loadAssets(), { generatedAt: new Date(0) });
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+stylesheet/);
    // uPlot's licence comment names its home page; nothing loads from the network.
    expect(html).not.toMatch(/(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i);
    expect(html).not.toMatch(/url\(\s*["']?(?:https?:)?\/\//i);
    expect(html).toContain('uPlot');
    expect(html).toContain('DtrainCharts');
  });

  it('carries the curves’ data, the epoch table and the confusion matrix', async () => {
    const r = run();
    const html = renderReport(r, await loadAssets(), { generatedAt: new Date(0) });
    const data = inlineData(html);
    expect(data.steps.map((p) => p.loss)).toEqual(r.steps.map((p) => p.loss));
    expect(data.epochs.map((e) => e.testAccuracy)).toEqual([0.7, 0.8]);
    expect(html).toContain('<td>83.00%</td>');
    expect(html).toContain('data-testid="confusion"');
    expect(html).toContain('Final evaluation');
    expect(html).toContain('3.6 MB');
    // A class name that tries to end the script element stays text.
    expect(html.match(/<\/script>/g)).toHaveLength(4);
  });

  it('says when a run has no summary (interrupted) and reports its last evaluation', async () => {
    const r = { ...run(), summary: undefined };
    const html = renderReport(r, await loadAssets(), { generatedAt: new Date(0) });
    expect(html).toContain('incomplete');
    expect(html).toContain('Evaluation after epoch 2');
  });
});

describe('writeReport', () => {
  it('reads DIR/history.jsonl and writes DIR/report.html for the last run, or the one asked for', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dtrain-report-'));
    const clock = new ManualClock(0);
    for (const id of ['first-run', 'second-run']) {
      const w = await HistoryWriter.open(join(dir, HISTORY_FILE_NAME), { clock, stepIntervalMs: 0 });
      w.run(fakeRunInfo({ runId: id }));
      w.step({ step: 1, epoch: 1, t: 0, loss: 1, samples: 1, stepMs: 1 });
      w.epoch({ epoch: 1, step: 1, t: 1, testAccuracy: 0.5, testLoss: 1, trainLoss: 1, trainAccuracy: null, trainEvalLoss: null, macroF1: 0.5 }, fakeReport());
      await w.close();
    }
    const last = await writeReport(dir);
    expect(last).toMatchObject({ path: join(dir, 'report.html'), runId: 'second-run', runs: 2, epochs: 1 });
    expect(await readFile(last.path, 'utf8')).toContain('run second-run');
    const first = await writeReport(dir, { runId: 'first', out: join(dir, 'first.html') });
    expect(first.runId).toBe('first-run');
    let code: string | undefined;
    try {
      await writeReport(dir, { runId: 'nope' });
    } catch (err) {
      code = isCodedError(err) ? err.code : undefined;
    }
    expect(code).toBe('TELEMETRY_ERR_NO_RUN');
  });
});
