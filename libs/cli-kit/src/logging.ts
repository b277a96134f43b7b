import { InvalidArgumentError } from 'commander';
import pino from 'pino';
import type { Logger, LogLevel } from '@dtrain/common';
import type { CliProgress } from './progress';
import { createProgress } from './progress';

export type LogFormat = 'auto' | 'pretty' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['auto', 'pretty', 'json'];

export interface CliLoggerOptions {
  level: LogLevel;
  /** auto = pretty when `isTTY`, JSON lines otherwise (files, pipes, containers). */
  format?: LogFormat;
  /** Whether the output is a terminal (decides `auto` and colours). Default: stderr's. */
  isTTY?: boolean;
  /** Where finished lines go. Default: stderr (the progress bars route them above themselves). */
  writeLine?: (line: string) => void;
  /** Fields on every record (e.g. `{ component: 'worker' }`). */
  base?: Record<string, unknown>;
}

/** Keys pino adds that the pretty line shows in its own way (or not at all). */
const FRAME_KEYS = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

const LEVEL_STYLE: Record<string, { tag: string; color: string }> = {
  trace: { tag: 'TRACE', color: '90' },
  debug: { tag: 'DEBUG', color: '90' },
  info: { tag: 'INFO ', color: '36' },
  warn: { tag: 'WARN ', color: '33' },
  error: { tag: 'ERROR', color: '31' },
  fatal: { tag: 'FATAL', color: '41' },
};

function fieldValue(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  return JSON.stringify(v) ?? String(v);
}

/** One JSON record from pino as a one-line human format: `12:03:04.123 INFO  message key=value …`. */
export function prettyLine(record: Record<string, unknown>, color: boolean): string {
  const time = typeof record['time'] === 'string' ? record['time'].slice(11, 23) : '';
  const level = String(record['level'] ?? 'info');
  const style = LEVEL_STYLE[level] ?? { tag: level.toUpperCase().padEnd(5), color: '0' };
  const tag = color ? `\x1b[${style.color}m${style.tag}\x1b[0m` : style.tag;
  const fields = Object.entries(record)
    .filter(([k]) => !FRAME_KEYS.has(k))
    .map(([k, v]) => `${color ? `\x1b[2m${k}=\x1b[0m` : `${k}=`}${fieldValue(v)}`)
    .join(' ');
  return `${time} ${tag} ${String(record['msg'] ?? '')}${fields ? ' ' + fields : ''}`;
}

/** Our `Logger` seam over a pino logger: libs keep calling `log.info(msg, fields)`; pino does the rest. */
export function pinoAdapter(p: pino.Logger): Logger {
  return {
    debug: (msg, fields) => p.debug(fields ?? {}, msg),
    info: (msg, fields) => p.info(fields ?? {}, msg),
    warn: (msg, fields) => p.warn(fields ?? {}, msg),
    error: (msg, fields) => p.error(fields ?? {}, msg),
    child: (fields) => pinoAdapter(p.child(fields)),
  };
}

/**
 * The CLI's logger: pino writing synchronously (so log lines and progress bars never interleave
 * mid-line, and nothing is lost on exit) either JSON lines or, on a terminal, a one-line pretty
 * format formatted here in-process (pino-pretty's transport runs in a worker thread, which we avoid).
 */
export function createCliLogger(options: CliLoggerOptions): Logger {
  const isTTY = options.isTTY ?? process.stderr.isTTY === true;
  const format = options.format ?? 'auto';
  const pretty = format === 'pretty' || (format === 'auto' && isTTY);
  const writeLine = options.writeLine ?? ((line: string) => void process.stderr.write(line + '\n'));
  const color = pretty && isTTY && !process.env['NO_COLOR'];
  const destination: pino.DestinationStream = {
    write(chunk: string) {
      const line = chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk;
      writeLine(pretty ? prettyLine(JSON.parse(line) as Record<string, unknown>, color) : line);
    },
  };
  const logger = pino(
    {
      level: options.level,
      base: { pid: process.pid, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Level names, not numbers: what log pipelines (Loki, Cloud Logging, jq) expect to filter on.
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return pinoAdapter(logger);
}

/** The console of one command: its logger and its progress bars, sharing stderr without garbling it. */
export function cliConsole(flags: { json?: boolean; logFormat?: string }, level: LogLevel): { log: Logger; progress: CliProgress } {
  const format = logFormatOf(flags);
  const isTTY = process.stderr.isTTY === true;
  // Bars only for a person at a terminal, and never in --json runs (their stderr is for errors only).
  const progress = createProgress({ enabled: isTTY && !flags.json && level !== 'silent' });
  const log = createCliLogger({ level, format, isTTY, writeLine: (line) => progress.writeLine(line) });
  return { log, progress };
}

export function logFormatOf(flags: { logFormat?: string }): LogFormat {
  const f = flags.logFormat ?? process.env['DTRAIN_LOG_FORMAT'] ?? 'auto';
  if (!(LOG_FORMATS as readonly string[]).includes(f)) throw new InvalidArgumentError(`--log-format must be one of ${LOG_FORMATS.join(', ')}`);
  return f as LogFormat;
}
