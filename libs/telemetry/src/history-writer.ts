import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock, Logger } from '@dtrain/common';
import { silentLogger } from '@dtrain/common';
import type { EvaluationReport } from '@dtrain/training';
import { DEFAULT_HISTORY_STEP_INTERVAL_MS, HISTORY_FORMAT_VERSION } from './constants';
import type { HistoryRecord } from './history-record';
import type { EpochPoint, RunInfo, StepPoint } from './run-snapshot';
import { TelemetryError } from './telemetry-error';

export interface HistoryWriterOptions {
  clock: Clock;
  /** At most one step record per this many ms; the step before an epoch record or the summary is always kept. */
  stepIntervalMs?: number;
  log?: Logger;
}

/**
 * Appends a run's records to a JSONL file. Writes are buffered by the stream and never block a
 * step; a failing disk is logged once and the run goes on without history.
 */
export class HistoryWriter {
  private runId = '';
  private lastStepAt = -Infinity;
  private held: StepPoint | undefined;
  private failed = false;
  private readonly stepIntervalMs: number;
  private readonly log: Logger;

  private constructor(
    readonly path: string,
    private readonly stream: WriteStream,
    private readonly clock: Clock,
    options: HistoryWriterOptions,
  ) {
    this.stepIntervalMs = options.stepIntervalMs ?? DEFAULT_HISTORY_STEP_INTERVAL_MS;
    if (!(this.stepIntervalMs >= 0)) throw new TelemetryError('TELEMETRY_ERR_BAD_OPTION', 'stepIntervalMs must be >= 0');
    this.log = options.log ?? silentLogger;
    stream.on('error', (err) => {
      if (!this.failed) this.log.error('history file failed; the run continues without it', { path, error: err.message });
      this.failed = true;
    });
  }

  /** Opens `path` for appending, creating its directory. */
  static async open(path: string, options: HistoryWriterOptions): Promise<HistoryWriter> {
    await mkdir(dirname(path), { recursive: true });
    const stream = createWriteStream(path, { flags: 'a' });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    return new HistoryWriter(path, stream, options.clock, options);
  }

  run(info: RunInfo): void {
    this.runId = info.runId;
    this.held = undefined;
    this.lastStepAt = -Infinity;
    this.write({ type: 'run', info });
  }

  step(point: StepPoint): void {
    const now = this.clock.monotonic();
    if (now - this.lastStepAt >= this.stepIntervalMs) {
      this.lastStepAt = now;
      this.held = undefined;
      this.write({ type: 'step', runId: this.runId, point });
    } else this.held = point;
  }

  epoch(point: EpochPoint, report: EvaluationReport): void {
    this.releaseHeld();
    this.write({ type: 'epoch', runId: this.runId, point, report });
  }

  summary(ok: boolean, report: EvaluationReport | null, summary: Record<string, unknown>): void {
    this.releaseHeld();
    this.write({ type: 'summary', runId: this.runId, ok, report, summary });
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    if (this.stream.closed || this.stream.destroyed) return;
    await new Promise<void>((resolve) => this.stream.end(() => resolve()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private releaseHeld(): void {
    if (!this.held) return;
    const p = this.held;
    this.held = undefined;
    this.lastStepAt = this.clock.monotonic();
    this.write({ type: 'step', runId: this.runId, point: p });
  }

  private write(r: { type: HistoryRecord['type'] } & Record<string, unknown>): void {
    if (this.failed || this.stream.writableEnded) return;
    const { type, ...rest } = r;
    const record = { type, v: HISTORY_FORMAT_VERSION, ts: this.clock.now(), ...rest };
    this.stream.write(JSON.stringify(record) + '\n');
  }
}
