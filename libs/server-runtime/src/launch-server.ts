import { join } from 'node:path';
import type { Logger } from '@dtrain/common';
import type { CoordinatorEvents, RunningServer, ServerDeps, ServerOptions, ServerResult } from '@dtrain/coordinator';
import { startParameterServer, weightsCodec } from '@dtrain/coordinator';
import type { DatasetSplits } from '@dtrain/data';
import { loadDataset } from '@dtrain/data';
import { initEngine, kernelFallbackNames } from '@dtrain/engine';
import { buildModel, loadModel, modelConfig, parameterCount, setFlatWeights } from '@dtrain/model';
import type { RunTelemetry } from '@dtrain/telemetry';
import { HISTORY_FILE_NAME, combineEvents, startRunTelemetry } from '@dtrain/telemetry';
import type { TrainSummary } from '@dtrain/trainer';
import { calibrateBatchNorm, checkModelFitsData, evaluateModel, summaryJson, trainingIndices } from '@dtrain/trainer';
import type { EvaluationReport } from '@dtrain/training';
import { memory as tfMemory } from '@tensorflow/tfjs';
import { checkpointDeps } from './checkpoint-wiring';
import { compressionRatio, compressionRatioFor } from './compression-ratio';
import type { CliProgress } from '@dtrain/cli-kit';
import { createCpuMeter } from './cpu-meter';
import { workerRoutes } from './worker-routes';

/**
 * Training samples evaluated at each epoch end for the "train accuracy" curve: enough for a
 * stable estimate (±1.5 % at 95 %), small next to the test evaluation.
 */
const TRAIN_EVAL_SAMPLES = 1_000;

export interface ServerRun {
  server: RunningServer;
  data: DatasetSplits;
  backend: string;
  telemetry: RunTelemetry;
  /** Resolves with the run's summary once the model is saved and telemetry has recorded the end. */
  summary: Promise<TrainSummary>;
}

export interface ServerTelemetryOptions {
  /** Serve the live dashboard on this port (0 = any free one); undefined = no dashboard. */
  dashboardPort?: number;
  dashboardHost?: string;
  progress?: CliProgress;
  /** Evaluate a training subset at each epoch end (one extra model in memory). Default true. */
  trainEval?: boolean;
}

/**
 * Loads what the server needs (engine for evaluation, dataset, checkpoint), starts telemetry
 * (metrics on the server port, history in --out, optional dashboard) and starts the server.
 */
export async function launchServer(options: ServerOptions, log: Logger, extra: Partial<ServerDeps> = {}, tele: ServerTelemetryOptions = {}): Promise<ServerRun> {
  // The server evaluates with synchronous reads: with --backend webgpu only its workers use the GPU.
  const engine = await initEngine({ backend: options.run.backend, webgpu: false });
  const progress = tele.progress;
  const data =
    extra.data ?? (await loadDataset(options.run.dataset, { trainLimit: options.run.trainLimit || undefined, ...(progress ? { onProgress: (p) => progress.download(p) } : {}) }));
  log.info('dataset loaded', { source: data.source, train: data.train.count, test: data.test.count, backend: engine.backend });
  // --model FILE: the user's TF.js model (its weights, if the file has them, are where training starts).
  if (options.run.modelFile !== undefined && !extra.initialModel) {
    const { model, config } = await loadModel(options.run.modelFile, { seed: options.run.seed });
    try {
      checkModelFitsData(config, data.train);
    } catch (err) {
      model.dispose();
      throw err;
    }
    log.info('model loaded', { file: options.run.modelFile, name: config.name, layers: config.layers.length, inputShape: config.inputShape, parameters: model.countParams() });
    extra = { ...extra, initialModel: { model, config } };
  }
  const checkpoint = await checkpointDeps(options, log);
  const samplesPerEpoch = trainingIndices(data.train, options.run.trainLimit).length;
  const trainEval = tele.trainEval === false ? undefined : trainSubsetEvaluator(options, data, extra);
  let telemetry: RunTelemetry;
  try {
    telemetry = await startRunTelemetry({
      info: {
        runId: '',
        mode: options.mode,
        compression: options.weightsCompression === undefined ? options.compression : `${options.compression} up, ${options.weightsCompression} down`,
        dataset: options.run.dataset,
        model: extra.initialModel?.config.name ?? options.run.model,
        backend: engine.backend,
        epochs: options.run.epochs,
        batchSize: options.run.batchSize,
        workers: options.workers,
        samplesPerEpoch,
        classNames: data.train.classNames,
        startedAt: Date.now(),
      },
      log,
      ...(options.run.outDir ? { historyPath: join(options.run.outDir, HISTORY_FILE_NAME) } : {}),
      ...(tele.dashboardPort !== undefined ? { dashboard: { host: tele.dashboardHost ?? options.host, port: tele.dashboardPort } } : {}),
      ...(trainEval ? { evaluateTrain: () => trainEval.evaluate(server.store.weights) } : {}),
    });
  } catch (err) {
    trainEval?.dispose();
    throw err;
  }
  if (telemetry.dashboard) (progress?.writeLine ?? ((l: string) => process.stderr.write(l + '\n')))(`dtrain dashboard on ${telemetry.dashboard.url}`);
  const cpu = createCpuMeter();
  const events = combineEvents(cpu.events, telemetry.events, progress ? progressEvents(progress, options.run.epochs, samplesPerEpoch) : undefined, extra.events);
  const http = extra.http;
  // The browser worker's page, program and data, on the server's own port (see worker-routes).
  const browserWorkers = workerRoutes({
    dataset: { spec: options.run.dataset, train: data.train },
    authenticate: (token, address) => server.coordinator.authenticate(token, address),
    log,
  });
  let server: RunningServer;
  try {
    server = await startParameterServer(options, {
      data,
      backend: engine.backend,
      log,
      ...(checkpoint ? { checkpoint } : {}),
      ...extra,
      events,
      http: (req, res) => telemetry.http(req, res) || browserWorkers(req, res) || (http?.(req, res) ?? false),
    });
  } catch (err) {
    trainEval?.dispose();
    await telemetry.close();
    throw err;
  }
  telemetry.begin({ runId: server.runId }, server.coordinator);
  const end = async (): Promise<void> => {
    progress?.stop();
    trainEval?.dispose();
    await telemetry.close();
  };
  const summary = server.done.then(
    async (r) => {
      const s = toSummary(options, r, engine.backend, cpu.perStep(), extra.initialModel ? parameterCount(extra.initialModel.config) : undefined);
      if (r.saveError) Object.assign(s, { saveError: r.saveError, outDir: undefined });
      telemetry.finish(true, r.report, summaryJson(s));
      await end();
      return s;
    },
    async (err: unknown) => {
      telemetry.finish(false, server.coordinator.report ?? null, { error: String((err as Error)?.message ?? err) });
      await end();
      throw err;
    },
  );
  return { server, data, backend: engine.backend, telemetry, summary };
}

/** Per-epoch progress bar of the cluster, driven by the coordinator's step events. */
function progressEvents(progress: CliProgress, epochs: number, samplesPerEpoch: number): Partial<CoordinatorEvents> {
  let done = 0;
  let t0 = performance.now();
  return {
    epochStarted(epoch) {
      done = 0;
      t0 = performance.now();
      progress.startEpoch(epoch + 1, epochs, samplesPerEpoch, 'samples');
    },
    stepCompleted(e) {
      done += e.samples;
      const rate = (done / Math.max(1, performance.now() - t0)) * 1000;
      progress.updateEpoch(done, `loss ${e.loss.toFixed(4)} · ${rate.toFixed(0)} samples/s`);
    },
  };
}

/** A model of its own for the training-subset evaluation (the server's model is busy being the server's). */
function trainSubsetEvaluator(options: ServerOptions, data: DatasetSplits, extra: Partial<ServerDeps>): { evaluate(w: Float32Array): EvaluationReport; dispose(): void } {
  const cfg = extra.initialModel?.config ?? modelConfig(options.run.model, data.train.numClasses);
  const model = buildModel(cfg, { seed: options.run.seed });
  const limit = Math.min(TRAIN_EVAL_SAMPLES, trainingIndices(data.train, options.run.trainLimit).length);
  let disposed = false;
  return {
    evaluate(weights) {
      setFlatWeights(model, weights);
      calibrateBatchNorm(model, data.train);
      return evaluateModel(model, data.train, limit);
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      model.dispose();
    },
  };
}

export function toSummary(options: ServerOptions, r: ServerResult, backend: string, serverCpuMsPerStep?: number, parameters?: number): TrainSummary {
  const t = r.totals;
  // Sharded, tensors move between workers and shards: the shards count them.
  const sum = (k: 'gradientBytes' | 'weightBytes'): number => (r.shardTraffic ?? []).reduce((a, x) => a + x[k], 0);
  const tensorBytes = r.shardTraffic ? { ...t, gradientBytes: sum('gradientBytes'), weightBytes: sum('weightBytes') } : t;
  const workers = r.workersSeen;
  return {
    mode: options.mode,
    backend,
    dataset: options.run.dataset,
    model: options.run.modelFile ?? options.run.model,
    epochs: options.run.epochs,
    batchSize: options.run.batchSize,
    globalBatch: options.run.batchSize * Math.max(1, options.workers),
    workers,
    steps: t.steps,
    trainSamples: t.samples,
    samplesPerSec: steadySamplesPerSec(t),
    trainSeconds: t.trainMs / 1000,
    bytesPerStep: t.steps > 0 ? (tensorBytes.gradientBytes + tensorBytes.weightBytes) / t.steps : 0,
    finalLoss: t.lastLoss,
    report: r.report,
    outDir: options.run.outDir,
    extra: {
      compression: options.compression,
      weights_compression: weightsCodec(options),
      compression_ratio: parameters !== undefined ? compressionRatioFor(tensorBytes, parameters) : compressionRatio(tensorBytes, options.run.model, r.report.numClasses),
      gradient_bytes: tensorBytes.gradientBytes,
      weight_bytes: tensorBytes.weightBytes,
      servers: r.servers,
      ...serverBytes(r),
      dropped_pushes: t.droppedPushes,
      stale_pushes: t.stalePushes,
      duplicate_pushes: t.duplicatePushes,
      rejected_frames: t.rejectedFrames,
      max_staleness: t.maxStaleness,
      version: r.version,
      weights_checksum: r.weightsChecksum,
      run_id: r.runId,
      aggregate_ms: Math.round(t.aggregateMs),
      apply_ms: Math.round(t.applyMs),
      warmup_ms: Math.round(t.warmupMs),
      step_breakdown_ms: stepBreakdown(r),
      server_peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
      server_cpu_ms_per_step: serverCpuMsPerStep === undefined ? null : round2(serverCpuMsPerStep),
      server_tensors: tfMemory().numTensors,
      worker_stats: r.members.map((m) => ({
        worker: m.workerId,
        applied: m.applied,
        mean_step_ms: round2(m.meanStepMs),
        mean_compute_ms: round2(m.meanComputeMs),
        mean_encode_ms: m.meanEncodeMs === undefined ? null : round2(m.meanEncodeMs),
        tensors: m.tensors ?? null,
        peak_rss_bytes: m.peakRssBytes ?? null,
        cpu_ms_per_step: m.cpuMsPerStep === undefined ? null : round2(m.cpuMsPerStep),
        kernel_fallbacks: m.kernelFallbacks,
      })),
      // Kernels that ran a slower path anywhere (the server's evaluation or any worker): empty when the fast engine covered the model.
      kernel_fallbacks: [...new Set([...kernelFallbackNames(), ...r.members.flatMap((m) => m.kernelFallbacks)])].sort(),
    },
  };
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/**
 * Tensor bytes per step through each parameter server's link: the one server's pushes in and weights
 * out, or each shard's gradient slices in and weight slices out, with the coordinator's own beside
 * (push headers; work and acks are not counted for either).
 */
function serverBytes(r: ServerResult): Record<string, unknown> {
  const t = r.totals;
  const steps = Math.max(1, t.steps);
  const own = Math.round((t.gradientBytes + t.weightBytes) / steps);
  // Push frames in and weights frames out, as for the one server (not the gathers for evaluation and checkpoints).
  const per = r.shardTraffic ? r.shardTraffic.map((x) => Math.round((x.gradientBytes + x.weightBytes) / steps)) : [own];
  return {
    server_bytes_per_step: per,
    server_bytes_per_step_max: Math.max(...per),
    server_bytes_per_step_total: per.reduce((a, b) => a + b, 0),
    ...(r.shardTraffic ? { coordinator_bytes_per_step: own } : {}),
  };
}

/**
 * Training speed without the first update, which holds the workers' start-up (dataset load, model
 * build, kernel set-up) rather than training; evaluation is already outside trainMs.
 */
function steadySamplesPerSec(t: ServerResult['totals']): number {
  const ms = t.trainMs - t.warmupMs;
  if (t.steps > 1 && ms > 0) return ((t.samples - t.warmupSamples) / ms) * 1000;
  return t.trainMs > 0 ? (t.samples / t.trainMs) * 1000 : 0;
}

/**
 * Where one (steady) step's wall time goes: workers' compute and encode (means over workers), the
 * server's decode / aggregate / apply (optimizer) / weights encode, and the rest — frames in
 * flight, socket and event-loop time, and the worker loading the new weights — as network.
 */
function stepBreakdown(r: ServerResult): Record<string, number> | null {
  const t = r.totals;
  const steps = t.steps - 1;
  if (steps < 1) return null;
  const mean = (xs: number[]): number => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const busy = r.members.filter((m) => m.applied > 1);
  const wall = (t.trainMs - t.warmupMs) / steps;
  const compute = mean(busy.map((m) => m.meanComputeMs));
  const encode = mean(busy.flatMap((m) => (m.meanEncodeMs === undefined ? [] : [m.meanEncodeMs])));
  const per = (ms: number): number => ms / t.steps;
  const server = per(t.decodeMs) + per(t.aggregateMs) + per(t.applyMs) + per(t.encodeMs);
  return {
    wall: round2(wall),
    compute: round2(compute),
    encode: round2(encode),
    decode: round2(per(t.decodeMs)),
    aggregate: round2(per(t.aggregateMs)),
    apply: round2(per(t.applyMs)),
    weights_encode: round2(per(t.encodeMs)),
    network: round2(Math.max(0, wall - compute - encode - server)),
  };
}
