import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EvaluationReport } from '@dtrain/training';
import { STEP_SECONDS_BUCKETS } from './constants';
import type { CoordinatorView } from './coordinator-view';
import type { RunInfo } from './run-snapshot';

export interface MetricsOptions {
  /** Also export Node's process metrics (CPU, memory, event-loop lag, GC) as prom-client defines them. */
  processMetrics: boolean;
}

/**
 * The run's Prometheus metrics, on a registry of its own (never prom-client's global one, so two
 * runs in one process, as in tests, do not collide). Event-driven counters are bumped by the
 * methods below; byte counts, workers and version are read from the coordinator at scrape time.
 */
export class TrainingMetrics {
  readonly registry = new Registry();
  private view: CoordinatorView | undefined;
  private readonly steps: Counter;
  private readonly samples: Counter;
  private readonly epochs: Counter;
  private readonly trainLoss: Gauge;
  private readonly testAccuracy: Gauge;
  private readonly testLoss: Gauge;
  private readonly trainAccuracy: Gauge;
  private readonly stepSeconds: Histogram;
  private readonly rejected: Counter<'code'>;
  private readonly dropped: Counter;
  private readonly memberChanges: Counter<'change'>;
  private readonly checkpoints: Counter;
  private readonly info: Gauge<'run_id' | 'mode' | 'compression' | 'dataset' | 'model' | 'backend'>;

  constructor(options: Partial<MetricsOptions> = {}) {
    const registers = [this.registry];
    const fromView = (name: string, help: string, read: (v: CoordinatorView) => number, kind: 'counter' | 'gauge'): void => {
      if (kind === 'counter') {
        const c: Counter = new Counter({
          name,
          help,
          registers,
          collect: () => {
            // A counter mirrors a coordinator total, which only grows: reset and set it to the total.
            c.reset();
            if (this.view) c.inc(Math.max(0, read(this.view)));
          },
        });
      } else {
        const g: Gauge = new Gauge({ name, help, registers, collect: () => void (this.view && g.set(read(this.view))) });
      }
    };
    this.steps = new Counter({ name: 'dtrain_steps_total', help: 'Updates applied to the weights', registers });
    this.samples = new Counter({ name: 'dtrain_samples_total', help: 'Training samples in applied updates', registers });
    this.epochs = new Counter({ name: 'dtrain_epochs_completed_total', help: 'Epochs trained and evaluated', registers });
    this.trainLoss = new Gauge({ name: 'dtrain_train_loss', help: 'Training loss of the last applied update', registers });
    this.testAccuracy = new Gauge({ name: 'dtrain_test_accuracy', help: 'Test accuracy at the last epoch end (0..1)', registers });
    this.testLoss = new Gauge({ name: 'dtrain_test_loss', help: 'Test cross-entropy at the last epoch end', registers });
    this.trainAccuracy = new Gauge({ name: 'dtrain_train_accuracy', help: 'Accuracy on the training subset at the last epoch end (0..1)', registers });
    this.stepSeconds = new Histogram({ name: 'dtrain_step_duration_seconds', help: 'Time of one update, from work sent to update applied', buckets: STEP_SECONDS_BUCKETS, registers });
    this.rejected = new Counter({ name: 'dtrain_rejected_frames_total', help: 'Frames and pushes refused, by error code', labelNames: ['code'], registers });
    this.dropped = new Counter({ name: 'dtrain_dropped_pushes_total', help: 'Pushes dropped because their BSP step completed without them (backup workers)', registers });
    this.memberChanges = new Counter({ name: 'dtrain_worker_changes_total', help: 'Workers joining, lost or leaving', labelNames: ['change'], registers });
    this.checkpoints = new Counter({ name: 'dtrain_checkpoints_total', help: 'Checkpoints written', registers });
    this.info = new Gauge({ name: 'dtrain_run_info', help: 'Facts of the run as labels (value 1)', labelNames: ['run_id', 'mode', 'compression', 'dataset', 'model', 'backend'], registers });
    fromView('dtrain_active_workers', 'Workers currently active', (v) => v.activeCount, 'gauge');
    fromView('dtrain_model_version', 'Version of the weights (updates applied, including resumed ones)', (v) => v.version, 'gauge');
    fromView('dtrain_bytes_received_total', 'Bytes of frames received from workers', (v) => v.totals.bytesIn, 'counter');
    fromView('dtrain_bytes_sent_total', 'Bytes of frames sent to workers', (v) => v.totals.bytesOut, 'counter');
    fromView('dtrain_aggregation_seconds_total', 'Time spent aggregating gradients', (v) => v.totals.aggregateMs / 1000, 'counter');
    fromView('dtrain_apply_seconds_total', 'Time spent in the optimizer applying aggregated gradients', (v) => v.totals.applyMs / 1000, 'counter');
    fromView('dtrain_stale_pushes_total', 'Pushes refused as stale', (v) => v.totals.stalePushes, 'counter');
    for (const change of ['joined', 'lost', 'left']) this.memberChanges.inc({ change }, 0);
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  attach(view: CoordinatorView): void {
    this.view = view;
  }

  setInfo(info: RunInfo): void {
    this.info.reset();
    this.info.set({ run_id: info.runId, mode: info.mode, compression: info.compression, dataset: info.dataset, model: info.model, backend: info.backend }, 1);
  }

  step(samples: number, loss: number, stepMs: number): void {
    this.steps.inc();
    this.samples.inc(samples);
    if (Number.isFinite(loss)) this.trainLoss.set(loss);
    this.stepSeconds.observe(stepMs / 1000);
  }

  epoch(test: EvaluationReport, train?: EvaluationReport): void {
    this.epochs.inc();
    this.testAccuracy.set(test.accuracy);
    if (test.loss !== undefined) this.testLoss.set(test.loss);
    if (train) this.trainAccuracy.set(train.accuracy);
  }

  frameRejected(code: string): void {
    this.rejected.inc({ code });
  }

  pushDropped(): void {
    this.dropped.inc();
  }

  memberChanged(change: 'joined' | 'lost' | 'left'): void {
    this.memberChanges.inc({ change });
  }

  checkpointed(): void {
    this.checkpoints.inc();
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** `GET /metrics` as an HTTP route: returns false for any other path, so it chains with others. */
  route(): (req: IncomingMessage, res: ServerResponse) => boolean {
    return (req, res) => {
      if ((req.url ?? '/').split('?')[0] !== '/metrics') return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return true;
      }
      this.render().then(
        (text) => res.writeHead(200, { 'content-type': this.contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String((err as Error)?.message ?? err)}\n`),
      );
      return true;
    };
  }
}
