import type { EvaluationReport } from '@dtrain/training';
import { HISTORY_FORMAT_VERSION } from './constants';
import type { EpochPoint, RunInfo, StepPoint } from './run-snapshot';
import { TelemetryError } from './telemetry-error';

/**
 * One line of `history.jsonl`. A run is a `run` record followed by its `step` (sampled) and
 * `epoch` records and, when it ends, a `summary`. Several runs may append to one file.
 */
export type HistoryRecord =
  | { type: 'run'; v: number; ts: number; info: RunInfo }
  | { type: 'step'; v: number; ts: number; runId: string; point: StepPoint }
  | { type: 'epoch'; v: number; ts: number; runId: string; point: EpochPoint; report: EvaluationReport }
  | { type: 'summary'; v: number; ts: number; runId: string; ok: boolean; report: EvaluationReport | null; summary: Record<string, unknown> };

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isNumOrNull = (x: unknown): boolean => x === null || isNum(x);
const isStr = (x: unknown): x is string => typeof x === 'string';

function checkReport(r: unknown): boolean {
  if (!isObj(r) || !isNum(r['accuracy']) || !isNum(r['numClasses']) || !Array.isArray(r['perClass']) || !Array.isArray(r['confusion'])) return false;
  const n = r['numClasses'];
  const perClass = r['perClass'] as unknown[];
  const confusion = r['confusion'] as unknown[];
  if (perClass.length !== n || confusion.length !== n) return false;
  if (!perClass.every((c) => isObj(c) && isNum(c['precision']) && isNum(c['recall']) && isNum(c['f1']) && isNum(c['support']))) return false;
  return confusion.every((row) => Array.isArray(row) && row.length === n && row.every((x) => Number.isInteger(x) && (x as number) >= 0));
}

function checkRecord(r: Record<string, unknown>): boolean {
  if (!isNum(r['v']) || !isNum(r['ts'])) return false;
  switch (r['type']) {
    case 'run': {
      const i = r['info'];
      return isObj(i) && isStr(i['runId']) && isStr(i['mode']) && isNum(i['epochs']) && Array.isArray(i['classNames']) && (i['classNames'] as unknown[]).every(isStr);
    }
    case 'step': {
      const p = r['point'];
      // Loss may be NaN in a diverging run; JSON writes it as null.
      return isStr(r['runId']) && isObj(p) && isNum(p['step']) && isNum(p['epoch']) && isNum(p['t']) && isNumOrNull(p['loss']) && isNum(p['samples']);
    }
    case 'epoch': {
      const p = r['point'];
      return isStr(r['runId']) && isObj(p) && isNum(p['epoch']) && isNum(p['step']) && isNum(p['testAccuracy']) && checkReport(r['report']);
    }
    case 'summary':
      return isStr(r['runId']) && typeof r['ok'] === 'boolean' && (r['report'] === null || checkReport(r['report'])) && isObj(r['summary']);
    default:
      return false;
  }
}

/** Parses and validates one line (a file is untrusted input). Throws TELEMETRY_ERR_BAD_HISTORY. */
export function parseHistoryLine(line: string, lineNo: number): HistoryRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new TelemetryError('TELEMETRY_ERR_BAD_HISTORY', `line ${lineNo} is not JSON`, { line: lineNo });
  }
  if (!isObj(value) || !checkRecord(value)) throw new TelemetryError('TELEMETRY_ERR_BAD_HISTORY', `line ${lineNo} is not a history record`, { line: lineNo });
  if ((value['v'] as number) > HISTORY_FORMAT_VERSION)
    throw new TelemetryError('TELEMETRY_ERR_BAD_HISTORY', `line ${lineNo} has format ${String(value['v'])}, newer than ${HISTORY_FORMAT_VERSION}`, { line: lineNo });
  return value as unknown as HistoryRecord;
}
