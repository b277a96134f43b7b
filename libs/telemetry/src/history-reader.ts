import { readFile, stat } from 'node:fs/promises';
import type { EvaluationReport } from '@dtrain/training';
import { DEFAULT_MAX_HISTORY_LINE_BYTES } from './constants';
import type { HistoryRecord } from './history-record';
import { parseHistoryLine } from './history-record';
import type { EpochPoint, RunInfo, StepPoint } from './run-snapshot';
import { TelemetryError } from './telemetry-error';

/** One run of a history file, records grouped. */
export interface RunHistory {
  info: RunInfo;
  steps: StepPoint[];
  epochs: { point: EpochPoint; report: EvaluationReport }[];
  summary: { ok: boolean; report: EvaluationReport | null; summary: Record<string, unknown> } | undefined;
}

export interface ReadHistoryOptions {
  maxLineBytes?: number;
  /** Refuse files larger than this (a history of a day-long ASP run is tens of MB). */
  maxFileBytes?: number;
}

/** A day of ASP at 5 step records per second is ~40 MB; ten times that is not a history file of ours. */
const DEFAULT_MAX_FILE_BYTES = 512 * 1024 * 1024;

/** Groups records into runs (a `run` record opens one; records of other run ids are ignored). */
export function groupRuns(records: readonly HistoryRecord[]): RunHistory[] {
  const runs = new Map<string, RunHistory>();
  const order: RunHistory[] = [];
  for (const r of records) {
    if (r.type === 'run') {
      const run: RunHistory = { info: r.info, steps: [], epochs: [], summary: undefined };
      // A resumed run appends under the same id: continue it rather than start a second copy.
      const existing = runs.get(r.info.runId);
      if (existing) {
        existing.info = r.info;
        continue;
      }
      runs.set(r.info.runId, run);
      order.push(run);
      continue;
    }
    const run = runs.get(r.runId);
    if (!run) continue;
    if (r.type === 'step') run.steps.push(r.point);
    else if (r.type === 'epoch') run.epochs.push({ point: r.point, report: r.report });
    else run.summary = { ok: r.ok, report: r.report, summary: r.summary };
  }
  return order;
}

/**
 * Reads and validates a history file. A torn last line (the process died mid-write) is skipped;
 * any other bad line is an error (TELEMETRY_ERR_BAD_HISTORY).
 */
export async function readHistory(path: string, options: ReadHistoryOptions = {}): Promise<RunHistory[]> {
  const maxLine = options.maxLineBytes ?? DEFAULT_MAX_HISTORY_LINE_BYTES;
  const maxFile = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    throw new TelemetryError('TELEMETRY_ERR_NO_HISTORY', `no history file at ${path}`, { path }, { cause: err });
  }
  if (size > maxFile) throw new TelemetryError('TELEMETRY_ERR_BAD_HISTORY', `${path} is ${size} bytes, more than ${maxFile}`, { path });
  const text = await readFile(path, 'utf8');
  const lines = text.split('\n');
  const torn = !text.endsWith('\n');
  const records: HistoryRecord[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const last = i === lines.length - 1;
    if (Buffer.byteLength(line) > maxLine) {
      if (last && torn) return;
      throw new TelemetryError('TELEMETRY_ERR_BAD_HISTORY', `line ${i + 1} is longer than ${maxLine} bytes`, { line: i + 1 });
    }
    try {
      records.push(parseHistoryLine(line, i + 1));
    } catch (err) {
      if (!(last && torn)) throw err;
    }
  });
  const runs = groupRuns(records);
  if (runs.length === 0) throw new TelemetryError('TELEMETRY_ERR_NO_HISTORY', `${path} holds no run`, { path });
  return runs;
}
