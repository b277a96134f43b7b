import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock, Logger } from '@dtrain/common';
import { silentLogger, systemClock } from '@dtrain/common';
import type { CoordinatorEvents } from '@dtrain/coordinator';
import type { EvaluationReport } from '@dtrain/training';
import type { CoordinatorView } from './coordinator-view';
import type { DashboardOptions, RunningDashboard } from './dashboard-server';
import { startDashboard } from './dashboard-server';
import { HistoryWriter } from './history-writer';
import type { MonitorOptions, StepInput } from './run-monitor';
import { RunMonitor } from './run-monitor';
import type { RunInfo } from './run-snapshot';
import { TrainingMetrics } from './training-metrics';

export interface RunTelemetryOptions {
  /** What is known before the run starts; `begin` fills in the rest (run id). */
  info: RunInfo;
  clock?: Clock;
  log?: Logger;
  /** Append records to this JSONL file; undefined = no history. */
  historyPath?: string;
  historyStepIntervalMs?: number;
  /** Serve the live dashboard; undefined = none. */
  dashboard?: DashboardOptions;
  monitor?: Partial<MonitorOptions>;
  processMetrics?: boolean;
  /**
   * Evaluates the current weights on a fixed training subset at each epoch end (the "train"
   * accuracy curve). Called synchronously inside the epoch-end event.
   */
  evaluateTrain?: () => EvaluationReport | undefined;
}

export interface RunTelemetry extends AsyncDisposable {
  readonly monitor: RunMonitor;
  readonly metrics: TrainingMetrics;
  readonly dashboard: RunningDashboard | undefined;
  readonly history: HistoryWriter | undefined;
  /** Hand to `ServerDeps.events`. Never throws into the coordinator. */
  readonly events: Partial<CoordinatorEvents>;
  /** Hand to `ServerDeps.http`: serves /metrics on the server's own port. */
  readonly http: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** The run has started: from now on the coordinator (if any) is read for workers and bytes. */
  begin(info: Partial<RunInfo>, view?: CoordinatorView): void;
  /** For runs without a coordinator (`dtrain train`): one applied update. */
  step(e: StepInput): void;
  /** For runs without a coordinator: the evaluation at the end of 0-based `epoch`. */
  epoch(epoch: number, test: EvaluationReport, train?: EvaluationReport): void;
  /** Records the outcome, tells viewers, flushes history. The dashboard stays up until `close`. */
  finish(ok: boolean, report: EvaluationReport | null, summary: Record<string, unknown>): void;
  close(): Promise<void>;
}

/**
 * Everything a run shows of itself, wired once: the monitor (live model), Prometheus metrics,
 * the JSONL history and the dashboard, all fed by the same coordinator events.
 */
export async function startRunTelemetry(options: RunTelemetryOptions): Promise<RunTelemetry> {
  const clock = options.clock ?? systemClock();
  const log = options.log ?? silentLogger;
  const monitor = new RunMonitor(options.info, clock, options.monitor);
  const metrics = new TrainingMetrics({ processMetrics: options.processMetrics ?? true });
  metrics.setInfo(options.info);
  const history = options.historyPath ? await HistoryWriter.open(options.historyPath, { clock, log, stepIntervalMs: options.historyStepIntervalMs }) : undefined;
  let dashboard: RunningDashboard | undefined;
  try {
    dashboard = options.dashboard ? await startDashboard(options.dashboard, { monitor, metrics, clock, log }) : undefined;
  } catch (err) {
    await history?.close();
    throw err;
  }
  monitor.start();
  let finished = false;

  const step = (e: StepInput): void => {
    const point = monitor.recordStep(e);
    metrics.step(e.samples, e.loss, e.stepMs);
    history?.step(point);
  };
  const epoch = (n: number, test: EvaluationReport, train?: EvaluationReport): void => {
    const point = monitor.recordEpoch(n, test, train);
    metrics.epoch(test, train);
    history?.epoch(point, test);
  };
  // The coordinator calls these mid-step: a telemetry bug must cost a log line, never the run.
  const guard =
    <A extends unknown[]>(name: string, fn: (...a: A) => void) =>
    (...a: A): void => {
      try {
        fn(...a);
      } catch (err) {
        log.warn('telemetry event failed', { event: name, error: String((err as Error)?.message ?? err) });
      }
    };
  const events: Partial<CoordinatorEvents> = {
    stepCompleted: guard('stepCompleted', (e) => step(e)),
    epochStarted: guard('epochStarted', (n) => monitor.recordEpochStart(n)),
    epochCompleted: guard('epochCompleted', (n, report) => {
      let train: EvaluationReport | undefined;
      try {
        train = options.evaluateTrain?.();
      } catch (err) {
        log.warn('training-subset evaluation failed', { error: String((err as Error)?.message ?? err) });
      }
      epoch(n, report, train);
    }),
    memberChanged: guard('memberChanged', (_m, change) => {
      metrics.memberChanged(change);
      monitor.emitStatus();
    }),
    pushDropped: guard('pushDropped', () => metrics.pushDropped()),
    frameRejected: guard('frameRejected', (code) => metrics.frameRejected(code)),
    checkpointed: guard('checkpointed', () => metrics.checkpointed()),
  };

  const close = async (): Promise<void> => {
    monitor.stop();
    await dashboard?.close();
    await history?.close();
  };
  return {
    monitor,
    metrics,
    dashboard,
    history,
    events,
    http: metrics.route(),
    begin(info, view) {
      if (view) {
        monitor.attach(view, info);
        metrics.attach(view);
      } else monitor.updateInfo(info);
      metrics.setInfo(monitor.info);
      history?.run(monitor.info);
    },
    step,
    epoch,
    finish(ok, report, summary) {
      if (finished) return;
      finished = true;
      monitor.finish(report ?? undefined, summary);
      history?.summary(ok, report, summary);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
