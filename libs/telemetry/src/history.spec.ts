import { appendFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '@dtrain/common/testing';
import { isCodedError } from '@dtrain/common';
import { HISTORY_FILE_NAME } from './constants';
import { parseHistoryLine } from './history-record';
import { readHistory } from './history-reader';
import { HistoryWriter } from './history-writer';
import type { EpochPoint, StepPoint } from './run-snapshot';
import { fakeReport, fakeRunInfo } from './testing';

const step = (n: number, epoch = 1): StepPoint => ({ step: n, epoch, t: n * 10, loss: 1 / n, samples: 32, stepMs: 10 });
const epochPoint = (epoch: number, stepN: number): EpochPoint => ({
  epoch,
  step: stepN,
  t: stepN * 10,
  testAccuracy: 0.8,
  testLoss: 0.5,
  trainLoss: 0.6,
  trainAccuracy: null,
  trainEvalLoss: null,
  macroF1: 0.79,
});

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return isCodedError(err) ? err.code : 'not coded';
  }
}

async function tempFile(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'dtrain-history-')), 'sub', HISTORY_FILE_NAME);
}

describe('history', () => {
  it('writes a run, sampled steps, epochs and a summary, and reads them back', async () => {
    const path = await tempFile();
    const clock = new ManualClock(1_000);
    const w = await HistoryWriter.open(path, { clock, stepIntervalMs: 100 });
    w.run(fakeRunInfo({ runId: 'r1' }));
    for (let i = 1; i <= 10; i++) {
      w.step(step(i));
      clock.advance(30);
    }
    w.epoch(epochPoint(1, 10), fakeReport());
    w.summary(true, fakeReport(), { test_accuracy: 0.8 });
    await w.close();

    const runs = await readHistory(path);
    expect(runs).toHaveLength(1);
    const r = runs[0]!;
    expect(r.info.runId).toBe('r1');
    // Every ~100 ms of 30 ms steps: 1, 5, 9; step 10 was held and written before the epoch record.
    expect(r.steps.map((p) => p.step)).toEqual([1, 5, 9, 10]);
    expect(r.epochs).toHaveLength(1);
    expect(r.epochs[0]!.report.confusion).toEqual(fakeReport().confusion);
    expect(r.summary).toMatchObject({ ok: true, summary: { test_accuracy: 0.8 } });
    const lines = (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { type: string; v: number; ts: number });
    expect(lines.map((l) => l.type)).toEqual(['run', 'step', 'step', 'step', 'step', 'epoch', 'summary']);
    expect(lines.every((l) => l.v === 1 && l.ts >= 1000)).toBe(true);
  });

  it('appends runs to the same file and keeps them apart; a resumed run continues under its id', async () => {
    const path = await tempFile();
    const clock = new ManualClock(0);
    for (const id of ['a', 'b', 'a']) {
      const w = await HistoryWriter.open(path, { clock, stepIntervalMs: 0 });
      w.run(fakeRunInfo({ runId: id }));
      w.step(step(id === 'b' ? 100 : 1));
      await w.close();
    }
    const runs = await readHistory(path);
    expect(runs.map((r) => r.info.runId)).toEqual(['a', 'b']);
    expect(runs[0]!.steps).toHaveLength(2);
    expect(runs[1]!.steps.map((p) => p.step)).toEqual([100]);
  });

  it('writes a NaN loss as null and reads it back', async () => {
    const path = await tempFile();
    const w = await HistoryWriter.open(path, { clock: new ManualClock(0), stepIntervalMs: 0 });
    w.run(fakeRunInfo());
    w.step({ ...step(1), loss: NaN });
    await w.close();
    expect((await readHistory(path))[0]!.steps[0]!.loss).toBeNull();
  });

  it('skips a torn last line (the process died mid-write)', async () => {
    const path = await tempFile();
    const w = await HistoryWriter.open(path, { clock: new ManualClock(0), stepIntervalMs: 0 });
    w.run(fakeRunInfo());
    w.step(step(1));
    await w.close();
    await appendFile(path, '{"type":"step","v":1,"ts":0,"runId":"run-0001","point":{"st');
    expect((await readHistory(path))[0]!.steps).toHaveLength(1);
  });

  it('refuses a bad line in the middle, a missing file and a file with no run', async () => {
    const path = await tempFile();
    const w = await HistoryWriter.open(path, { clock: new ManualClock(0) });
    w.run(fakeRunInfo());
    await w.close();
    await appendFile(path, 'not json\n{"type":"step","v":1,"ts":0,"runId":"x","point":{"step":1,"epoch":1,"t":0,"loss":1,"samples":1}}\n');
    expect(await codeOf(readHistory(path))).toBe('TELEMETRY_ERR_BAD_HISTORY');
    expect(await codeOf(readHistory(join(tmpdir(), 'no-such-dtrain-dir', HISTORY_FILE_NAME)))).toBe('TELEMETRY_ERR_NO_HISTORY');
    const empty = await tempFile();
    await (await HistoryWriter.open(empty, { clock: new ManualClock(0) })).close();
    expect(await codeOf(readHistory(empty))).toBe('TELEMETRY_ERR_NO_HISTORY');
  });

  it('refuses lines over the length limit', async () => {
    const path = await tempFile();
    const w = await HistoryWriter.open(path, { clock: new ManualClock(0) });
    w.run(fakeRunInfo({ dataset: 'x'.repeat(500) }));
    await w.close();
    expect(await codeOf(readHistory(path, { maxLineBytes: 400 }))).toBe('TELEMETRY_ERR_BAD_HISTORY');
    expect(await readHistory(path, { maxLineBytes: 4000 })).toHaveLength(1);
  });

  it('validates record shapes, not only JSON', () => {
    const report = fakeReport();
    const good = { type: 'epoch', v: 1, ts: 0, runId: 'r', point: epochPoint(1, 1), report };
    expect(parseHistoryLine(JSON.stringify(good), 1).type).toBe('epoch');
    const bad = [
      { ...good, type: 'weird' },
      { ...good, v: 99 },
      { ...good, report: { ...report, confusion: [[1, 2]] } },
      { ...good, report: { ...report, confusion: report.confusion.map((row) => row.map(() => -1)) } },
      { ...good, point: { ...good.point, testAccuracy: 'high' } },
      { type: 'run', v: 1, ts: 0, info: { runId: 5 } },
      [1, 2, 3],
    ];
    for (const b of bad) {
      let code: string | undefined;
      try {
        parseHistoryLine(JSON.stringify(b), 7);
      } catch (err) {
        code = isCodedError(err) ? err.code : undefined;
      }
      expect(code).toBe('TELEMETRY_ERR_BAD_HISTORY');
    }
  });

  it('stops writing after a disk error instead of failing the run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dtrain-history-'));
    const path = join(dir, HISTORY_FILE_NAME);
    await writeFile(path, '');
    const errors: string[] = [];
    const log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (msg: string) => errors.push(msg), child: () => log };
    const w = await HistoryWriter.open(path, { clock: new ManualClock(0), log });
    (w as unknown as { stream: NodeJS.WritableStream }).stream.emit('error', new Error('ENOSPC'));
    expect(() => w.run(fakeRunInfo())).not.toThrow();
    expect(errors).toHaveLength(1);
    await w.close();
  });
});
