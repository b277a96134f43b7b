import type { Clock, TimerHandle } from '@dtrain/common';
import type { EvaluationReport } from '@dtrain/training';
import { evaluationHtml } from './evaluation-html';
import { DEFAULT_MAX_STEP_POINTS, DEFAULT_MAX_WORKER_ROWS, DEFAULT_STATUS_INTERVAL_MS, DEFAULT_STEP_FLUSH_MS, DEFAULT_THROUGHPUT_WINDOW_MS } from './constants';
import type { CoordinatorView } from './coordinator-view';
import { workerTable } from './coordinator-view';
import type { EpochPoint, EvaluationView, RunInfo, RunSnapshot, RunStatus, StepPoint, WorkerRow } from './run-snapshot';
import { StepSeries } from './step-series';
import { ThroughputWindow } from './throughput-window';

export interface MonitorOptions {
  maxStepPoints: number;
  throughputWindowMs: number;
  statusIntervalMs: number;
  stepFlushMs: number;
  /** Rows of the worker table viewers get; the rest are counted in `status.omittedWorkers`. */
  maxWorkerRows: number;
}

export const DEFAULT_MONITOR_OPTIONS: MonitorOptions = {
  maxStepPoints: DEFAULT_MAX_STEP_POINTS,
  throughputWindowMs: DEFAULT_THROUGHPUT_WINDOW_MS,
  statusIntervalMs: DEFAULT_STATUS_INTERVAL_MS,
  stepFlushMs: DEFAULT_STEP_FLUSH_MS,
  maxWorkerRows: DEFAULT_MAX_WORKER_ROWS,
};

/** What viewers are sent as the run goes; `snapshot` is what a new viewer starts from. */
export type MonitorUpdate =
  | { type: 'info'; info: RunInfo }
  | { type: 'steps'; points: StepPoint[] }
  | { type: 'epoch'; point: EpochPoint; evaluation: EvaluationView }
  | { type: 'status'; status: RunStatus; workers: WorkerRow[] }
  | { type: 'final'; status: RunStatus; evaluation: EvaluationView | null };

export interface StepInput {
  step: number;
  /** 0-based, as the coordinator counts. */
  epoch: number;
  loss: number;
  samples: number;
  stepMs: number;
}

/**
 * The live model of a run for viewers: step and epoch series, throughput, ETA, the worker table
 * and the latest evaluation. Fed by events (`recordStep`, `recordEpoch`, …), read by the dashboard.
 */
export class RunMonitor {
  private infoValue: RunInfo;
  private view: CoordinatorView | undefined;
  private readonly series: StepSeries;
  private readonly epochPoints: EpochPoint[] = [];
  private readonly window: ThroughputWindow;
  private readonly listeners = new Set<(u: MonitorUpdate) => void>();
  private pending: StepPoint[] = [];
  /** The run state viewers were last told, so a change (e.g. the first step) reaches them with the data, not a timer tick later. */
  private toldState: RunStatus['state'] | undefined;
  private evaluation: EvaluationView | null = null;
  private readonly t0: number;
  private steps = 0;
  private samples = 0;
  private epoch = 0;
  private lastLoss: number | null = null;
  private epochLossSum = 0;
  private epochLossSamples = 0;
  private finished = false;
  private statusTimer: TimerHandle | undefined;
  private flushTimer: TimerHandle | undefined;
  private readonly options: MonitorOptions;

  constructor(
    info: RunInfo,
    private readonly clock: Clock,
    options: Partial<MonitorOptions> = {},
  ) {
    this.options = { ...DEFAULT_MONITOR_OPTIONS, ...options };
    this.infoValue = info;
    this.series = new StepSeries(this.options.maxStepPoints);
    this.window = new ThroughputWindow(this.options.throughputWindowMs);
    this.t0 = clock.monotonic();
  }

  /** Starts the periodic status push and step batching. */
  start(): void {
    if (this.statusTimer) return;
    this.statusTimer = this.clock.setInterval(() => this.emitStatus(), this.options.statusIntervalMs);
    this.flushTimer = this.clock.setInterval(() => this.flush(), this.options.stepFlushMs);
  }

  stop(): void {
    if (this.statusTimer) this.clock.clearInterval(this.statusTimer);
    if (this.flushTimer) this.clock.clearInterval(this.flushTimer);
    this.statusTimer = this.flushTimer = undefined;
  }

  /** Reads workers, bytes and state from the coordinator from now on; `info` fills what is known only now (run id). */
  attach(view: CoordinatorView, info: Partial<RunInfo> = {}): void {
    this.view = view;
    this.steps = Math.max(this.steps, view.totals.steps);
    this.samples = Math.max(this.samples, view.totals.samples);
    this.updateInfo(info);
  }

  updateInfo(info: Partial<RunInfo>): void {
    this.infoValue = { ...this.infoValue, ...info };
    this.emit({ type: 'info', info: this.infoValue });
  }

  get info(): RunInfo {
    return this.infoValue;
  }

  subscribe(listener: (u: MonitorUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  recordEpochStart(epoch: number): void {
    this.epoch = epoch;
    this.epochLossSum = 0;
    this.epochLossSamples = 0;
  }

  /** Returns the point (viewers may see only every n-th one on long runs; the history samples its own). */
  recordStep(e: StepInput): StepPoint {
    const now = this.clock.monotonic();
    if (e.epoch !== this.epoch) this.recordEpochStart(e.epoch);
    this.steps = e.step;
    this.samples += e.samples;
    this.lastLoss = Number.isFinite(e.loss) ? e.loss : null;
    if (Number.isFinite(e.loss)) {
      this.epochLossSum += e.loss * e.samples;
      this.epochLossSamples += e.samples;
    }
    this.window.add(now, e.samples);
    const p: StepPoint = { step: e.step, epoch: e.epoch + 1, t: Math.round(now - this.t0), loss: e.loss, samples: e.samples, stepMs: Math.round(e.stepMs * 10) / 10 };
    if (this.series.add(p)) this.pending.push(p);
    return p;
  }

  /** An epoch's evaluation on the test split, and optionally on a training subset. `epoch` is 0-based. */
  recordEpoch(epoch: number, test: EvaluationReport, train?: EvaluationReport): EpochPoint {
    this.flush();
    const point: EpochPoint = {
      epoch: epoch + 1,
      step: this.steps,
      t: Math.round(this.clock.monotonic() - this.t0),
      testAccuracy: test.accuracy,
      testLoss: test.loss ?? null,
      trainLoss: this.epochLossSamples > 0 ? this.epochLossSum / this.epochLossSamples : null,
      trainAccuracy: train?.accuracy ?? null,
      trainEvalLoss: train?.loss ?? null,
      macroF1: test.macro.f1,
    };
    this.epochPoints.push(point);
    this.evaluation = this.evaluationView(epoch + 1, false, test);
    this.emit({ type: 'epoch', point, evaluation: this.evaluation });
    return point;
  }

  /** The run is over: the last evaluation becomes final (with the summary), viewers are told once. */
  finish(finalReport?: EvaluationReport, summary?: Record<string, unknown>): void {
    if (this.finished) return;
    this.flush();
    this.finished = true;
    const report = finalReport ?? this.evaluation?.report;
    this.evaluation = report ? this.evaluationView(this.evaluation?.epoch ?? this.epoch + 1, true, report, summary) : null;
    this.stop();
    this.emit({ type: 'final', status: this.status(), evaluation: this.evaluation });
  }

  status(): RunStatus {
    const now = this.clock.monotonic();
    const v = this.view;
    const rate = this.finished ? 0 : this.window.rate(now);
    const total = this.infoValue.epochs * this.infoValue.samplesPerEpoch;
    const remaining = Math.max(0, total - this.samples);
    return {
      state: this.finished ? 'finished' : (v?.state ?? (this.steps > 0 ? 'training' : 'waiting')),
      epoch: this.epoch + 1,
      epochs: this.infoValue.epochs,
      steps: this.steps,
      version: v?.version ?? this.steps,
      samples: this.samples,
      elapsedMs: Math.round(now - this.t0),
      samplesPerSec: Math.round(rate * 10) / 10,
      etaSec: this.finished ? 0 : rate > 0 && total > 0 ? Math.round(remaining / rate) : null,
      activeWorkers: v?.activeCount ?? 0,
      omittedWorkers: Math.max(0, (v?.members.size ?? 0) - this.options.maxWorkerRows),
      bytesIn: v?.totals.bytesIn ?? 0,
      bytesOut: v?.totals.bytesOut ?? 0,
      droppedPushes: v?.totals.droppedPushes ?? 0,
      stalePushes: v?.totals.stalePushes ?? 0,
      rejectedFrames: { ...(v?.totals.rejectedFrames ?? {}) },
      lastLoss: this.lastLoss,
    };
  }

  workers(): WorkerRow[] {
    return this.view ? workerTable(this.view, this.clock.monotonic(), this.options.maxWorkerRows) : [];
  }

  snapshot(): RunSnapshot {
    return {
      info: this.infoValue,
      status: this.status(),
      steps: [...this.series.all],
      epochs: [...this.epochPoints],
      workers: this.workers(),
      evaluation: this.evaluation,
    };
  }

  /** Sends batched step points now (also called before every epoch and status update, to keep order). */
  flush(): void {
    if (this.pending.length === 0) return;
    const points = this.pending;
    this.pending = [];
    // A changed state goes first, so a viewer never shows new points under the old state.
    const status = this.status();
    if (status.state !== this.toldState) this.sendStatus(status);
    this.emit({ type: 'steps', points });
  }

  /** Pushes status and the worker table now (the timer does it every `statusIntervalMs`). */
  emitStatus(): void {
    this.flush();
    this.sendStatus(this.status());
  }

  private sendStatus(status: RunStatus): void {
    this.toldState = status.state;
    this.emit({ type: 'status', status, workers: this.workers() });
  }

  private evaluationView(epoch: number, final: boolean, report: EvaluationReport, summary?: Record<string, unknown>): EvaluationView {
    const classNames = this.infoValue.classNames;
    return { epoch, final, report, classNames, html: evaluationHtml(report, classNames), ...(summary ? { summary } : {}) };
  }

  private emit(u: MonitorUpdate): void {
    for (const l of this.listeners) {
      try {
        l(u);
      } catch {
        // A viewer's failure must never reach the coordinator, which calls us in the middle of a step.
      }
    }
  }
}
