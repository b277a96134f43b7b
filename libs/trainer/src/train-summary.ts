import type { EvaluationReport } from '@dtrain/training';

/** What a finished run reports; `toJsonLine` gives the `--json` last line (snake_case keys, stable). */
export interface TrainSummary {
  /** The run finished but saving its model failed (it is reported after the summary, exit 1). */
  saveError?: Error;
  mode: 'single' | 'bsp' | 'asp' | 'ssp';
  backend: string;
  dataset: string;
  model: string;
  epochs: number;
  batchSize: number;
  globalBatch: number;
  workers: number;
  steps: number;
  trainSamples: number;
  samplesPerSec: number;
  trainSeconds: number;
  bytesPerStep: number;
  finalLoss: number;
  report: EvaluationReport;
  outDir: string | undefined;
  extra?: Record<string, unknown>;
}

const round = (x: number, d: number): number => Math.round(x * 10 ** d) / 10 ** d;

export function summaryJson(s: TrainSummary): Record<string, unknown> {
  return {
    test_accuracy: round(s.report.accuracy, 4),
    test_loss: s.report.loss === undefined ? null : round(s.report.loss, 4),
    macro_f1: round(s.report.macro.f1, 4),
    samples_per_s: round(s.samplesPerSec, 1),
    train_seconds: round(s.trainSeconds, 2),
    backend: s.backend,
    mode: s.mode,
    dataset: s.dataset,
    model: s.model,
    epochs: s.epochs,
    batch_size: s.batchSize,
    global_batch: s.globalBatch,
    workers: s.workers,
    steps: s.steps,
    train_samples: s.trainSamples,
    test_samples: s.report.count,
    bytes_per_step: Math.round(s.bytesPerStep),
    final_train_loss: round(s.finalLoss, 4),
    out_dir: s.outDir ?? null,
    ...s.extra,
  };
}
