import type * as tf from '@tensorflow/tfjs';
import type { Logger } from '@dtrain/common';
import { mixSeed, silentLogger } from '@dtrain/common';
import type { Dataset, DatasetSplits } from '@dtrain/data';
import { epochOrder } from '@dtrain/data';
import type { ModelConfig } from '@dtrain/model';
import { buildModel, getFlatWeights, modelConfig, saveModel, setFlatWeights, weightManifest } from '@dtrain/model';
import { createAdam, parseLrSchedule, scheduledLearningRate } from '@dtrain/training';
import type { EvaluationReport } from '@dtrain/training';
import { createBatchGradients } from './batch-gradients';
import { evaluateModel } from './evaluate';
import { calibrateBatchNorm } from './calibrate-batch-norm';
import type { RunConfig } from './run-config';
import type { TrainSummary } from './train-summary';

export interface EpochProgress {
  epoch: number;
  epochs: number;
  step: number;
  trainLoss: number;
  samplesPerSec: number;
  test?: EvaluationReport;
}

export interface SingleProcessOptions {
  config: RunConfig;
  data: DatasetSplits;
  backend: string;
  log?: Logger;
  /** Called after each epoch with the test report (evaluation is part of the run, not of throughput). */
  onEpoch?: (p: EpochProgress) => void;
  /** Called every step; cheap. */
  onStep?: (step: number, loss: number) => void;
  /** Start from this model instead of a fresh one (fine-tuning). */
  initialModel?: { model: tf.LayersModel; config: ModelConfig };
  /** 1 = train this weight, 0 = frozen (fine-tuning); manifest order. */
  trainableMask?: Uint8Array;
  /** Extra metadata saved with the model. */
  saveMeta?: Record<string, unknown>;
}

/** Indices 0..n-1 of the training split the run uses (`trainLimit` keeps the first N). */
export function trainingIndices(ds: Dataset, trainLimit: number): Uint32Array {
  const n = trainLimit > 0 ? Math.min(trainLimit, ds.count) : ds.count;
  return Uint32Array.from({ length: n }, (_, i) => i);
}

/**
 * `dtrain train`: one process, same math as the cluster (flat gradients → flat Adam), so its
 * results are the reference the distributed modes are compared against.
 */
export async function trainSingleProcess(opts: SingleProcessOptions): Promise<TrainSummary> {
  const { config, data } = opts;
  const log = opts.log ?? silentLogger;
  const cfg = opts.initialModel?.config ?? modelConfig(config.model, data.train.numClasses);
  const model = opts.initialModel?.model ?? buildModel(cfg, { seed: config.seed });
  const manifest = weightManifest(model);
  const weights = getFlatWeights(model);
  const optimizer = createAdam(manifest.totalSize, { learningRate: config.learningRate });
  const schedule = parseLrSchedule(config.lrSchedule);
  const gradients = createBatchGradients(model, data.train, { augment: config.augment });
  const indices = trainingIndices(data.train, config.trainLimit);
  let step = 0;
  let trainMs = 0;
  let lastLoss = NaN;
  let report: EvaluationReport | undefined;
  try {
    for (let epoch = 0; epoch < config.epochs; epoch++) {
      const order = epochOrder(indices, config.seed, epoch);
      const t0 = performance.now();
      let lossSum = 0;
      let lossCount = 0;
      for (let start = 0; start < order.length; start += config.batchSize) {
        const batch = order.subarray(start, Math.min(order.length, start + config.batchSize));
        const r = gradients.compute(batch, mixSeed(config.seed, epoch, step));
        optimizer.learningRate = scheduledLearningRate(schedule, config.learningRate, epoch + start / order.length, config.epochs);
        optimizer.apply(weights, r.grads, opts.trainableMask);
        setFlatWeights(model, weights);
        lossSum += r.loss * r.samples;
        lossCount += r.samples;
        lastLoss = r.loss;
        step++;
        opts.onStep?.(step, r.loss);
      }
      const epochMs = performance.now() - t0;
      trainMs += epochMs;
      calibrateBatchNorm(model, data.train);
      report = evaluateModel(model, data.test, config.testLimit);
      const progress: EpochProgress = {
        epoch: epoch + 1,
        epochs: config.epochs,
        step,
        trainLoss: lossSum / Math.max(1, lossCount),
        samplesPerSec: (order.length / epochMs) * 1000,
        test: report,
      };
      log.info('epoch done', {
        epoch: progress.epoch,
        train_loss: +progress.trainLoss.toFixed(4),
        test_accuracy: +report.accuracy.toFixed(4),
        samples_per_s: Math.round(progress.samplesPerSec),
      });
      opts.onEpoch?.(progress);
    }
    if (!report) {
      calibrateBatchNorm(model, data.train);
      report = evaluateModel(model, data.test, config.testLimit);
    }
    // A model that cannot be saved (a full disk) does not lose the run: the summary says so, and
    // the command reports it after printing the result, as the parameter server does.
    let saveError: Error | undefined;
    if (config.outDir) {
      try {
        await saveModel(model, config.outDir, {
          dataset: config.dataset,
          classNames: data.train.classNames,
          epochs: config.epochs,
          seed: config.seed,
          testAccuracy: report.accuracy,
          ...opts.saveMeta,
        });
      } catch (err) {
        saveError = err as Error;
        log.error('the run finished but its model could not be saved', { dir: config.outDir, error: saveError.message });
      }
    }
    const trainSamples = indices.length * config.epochs;
    return {
      mode: 'single',
      backend: opts.backend,
      dataset: config.dataset,
      model: cfg.name,
      epochs: config.epochs,
      batchSize: config.batchSize,
      globalBatch: config.batchSize,
      workers: 1,
      steps: step,
      trainSamples,
      samplesPerSec: trainMs > 0 ? (trainSamples / trainMs) * 1000 : 0,
      trainSeconds: trainMs / 1000,
      bytesPerStep: 0,
      finalLoss: lastLoss,
      report,
      outDir: saveError ? undefined : config.outDir,
      ...(saveError ? { saveError } : {}),
    };
  } finally {
    gradients.dispose();
    if (!opts.initialModel) model.dispose();
  }
}
