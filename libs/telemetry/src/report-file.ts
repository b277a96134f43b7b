import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HISTORY_FILE_NAME } from './constants';
import { readHistory } from './history-reader';
import { renderReport } from './report-renderer';
import { loadAssets } from './static-assets';
import { TelemetryError } from './telemetry-error';

export interface WriteReportOptions {
  /** Output file; default `<dir>/report.html`. */
  out?: string;
  /** Which run of the history (a prefix of its id); default the last one. */
  runId?: string;
  generatedAt?: Date;
}

export interface WrittenReport {
  path: string;
  runId: string;
  runs: number;
  epochs: number;
  bytes: number;
}

/** `dtrain report DIR`: reads DIR/history.jsonl and writes one self-contained HTML report. */
export async function writeReport(dir: string, options: WriteReportOptions = {}): Promise<WrittenReport> {
  const runs = await readHistory(join(dir, HISTORY_FILE_NAME));
  const run = options.runId ? runs.filter((r) => r.info.runId.startsWith(options.runId!)).at(-1) : runs.at(-1);
  if (!run) throw new TelemetryError('TELEMETRY_ERR_NO_RUN', `no run ${options.runId} in ${dir}`, { runId: options.runId });
  const html = renderReport(run, await loadAssets(), { generatedAt: options.generatedAt ?? new Date(), otherRuns: runs.length - 1 });
  const path = options.out ?? join(dir, 'report.html');
  await writeFile(path, html);
  return { path, runId: run.info.runId, runs: runs.length, epochs: run.epochs.length, bytes: Buffer.byteLength(html) };
}
