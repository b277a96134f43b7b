import type { Logger } from '@dtrain/common';
import type { RunningServer, ServerDeps, ServerOptions, ServerResult } from '@dtrain/coordinator';
import { startParameterServer } from '@dtrain/coordinator';
import type { DatasetSplits } from '@dtrain/data';
import { loadDataset } from '@dtrain/data';
import { initEngine } from '@dtrain/engine';
import type { TrainSummary } from '@dtrain/trainer';
import { checkpointDeps } from './checkpoint-wiring';
import { compressionRatio } from './compression-ratio';

export interface ServerRun {
  server: RunningServer;
  data: DatasetSplits;
  backend: string;
  /** Resolves with the run's summary once the model is saved. */
  summary: Promise<TrainSummary>;
}

/** Loads what the server needs (engine for evaluation, dataset, checkpoint) and starts it. */
export async function launchServer(options: ServerOptions, log: Logger, extra: Partial<ServerDeps> = {}): Promise<ServerRun> {
  const engine = await initEngine({ backend: options.run.backend });
  const data = extra.data ?? (await loadDataset(options.run.dataset, { trainLimit: options.run.trainLimit || undefined }));
  log.info('dataset loaded', { source: data.source, train: data.train.count, test: data.test.count, backend: engine.backend });
  const checkpoint = await checkpointDeps(options, log);
  const server = await startParameterServer(options, { data, backend: engine.backend, log, ...(checkpoint ? { checkpoint } : {}), ...extra });
  const summary = server.done.then((r) => toSummary(options, r, engine.backend));
  return { server, data, backend: engine.backend, summary };
}

export function toSummary(options: ServerOptions, r: ServerResult, backend: string): TrainSummary {
  const t = r.totals;
  const workers = r.workersSeen;
  return {
    mode: options.mode,
    backend,
    dataset: options.run.dataset,
    model: options.run.model,
    epochs: options.run.epochs,
    batchSize: options.run.batchSize,
    globalBatch: options.run.batchSize * Math.max(1, options.workers),
    workers,
    steps: t.steps,
    trainSamples: t.samples,
    samplesPerSec: t.trainMs > 0 ? (t.samples / t.trainMs) * 1000 : 0,
    trainSeconds: t.trainMs / 1000,
    bytesPerStep: t.steps > 0 ? (t.gradientBytes + t.weightBytes) / t.steps : 0,
    finalLoss: t.lastLoss,
    report: r.report,
    outDir: options.run.outDir,
    extra: {
      compression: options.compression,
      compression_ratio: compressionRatio(t, options.run.model, r.report.numClasses),
      gradient_bytes: t.gradientBytes,
      weight_bytes: t.weightBytes,
      dropped_pushes: t.droppedPushes,
      stale_pushes: t.stalePushes,
      duplicate_pushes: t.duplicatePushes,
      rejected_frames: t.rejectedFrames,
      max_staleness: t.appliedLog.reduce((m, a) => Math.max(m, a.staleness), 0),
      version: r.version,
      weights_checksum: r.weightsChecksum,
      run_id: r.runId,
      aggregate_ms: Math.round(t.aggregateMs),
      apply_ms: Math.round(t.applyMs),
    },
  };
}
