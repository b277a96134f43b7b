import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { loadDataset } from '@dtrain/data';
import { initEngine, kernelFallbackNames } from '@dtrain/engine';
import { loadModel } from '@dtrain/model';
import { HISTORY_FILE_NAME, startRunTelemetry } from '@dtrain/telemetry';
import { checkModelFitsData, summaryJson, trainSingleProcess, trainingIndices } from '@dtrain/trainer';
import type { CommonFlags } from '@dtrain/cli-kit';
import { addCommonFlags, cliConsole, logKernelFallbacks, logLevelOf, printSummary, runConfigFromFlags } from '@dtrain/cli-kit';

export function trainCommand(): Command {
  return addCommonFlags(new Command('train'))
    .description('train the model in this one process, evaluate it and save it')
    .action(async (flags: CommonFlags) => {
      const config = runConfigFromFlags(flags);
      const { log, progress } = cliConsole(flags, logLevelOf(flags));
      if (config.backend === 'webgpu')
        throw new InvalidArgumentError('--backend webgpu trains in workers (dtrain local --backend webgpu, dtrain worker --backend webgpu); dtrain train evaluates with synchronous reads, which WebGPU in Node cannot do');
      const engine = await initEngine({ backend: config.backend, webgpu: false });
      log.info('engine ready', { backend: engine.backend, fallbacks: engine.fallbacks.map((f) => `${f.backend}: ${f.reason}`) });
      const data = await loadDataset(config.dataset, { trainLimit: config.trainLimit || undefined, onProgress: (p) => progress.download(p) });
      log.info('dataset loaded', { source: data.source, train: data.train.count, test: data.test.count });
      const initialModel = config.modelFile === undefined ? undefined : await loadModel(config.modelFile, { seed: config.seed });
      if (initialModel) checkModelFitsData(initialModel.config, data.train);
      const samplesPerEpoch = trainingIndices(data.train, config.trainLimit).length;
      const batchesPerEpoch = Math.ceil(samplesPerEpoch / config.batchSize);
      // No dashboard here: this loop holds the event loop for a whole epoch, so nothing could be served.
      const telemetry = await startRunTelemetry({
        info: {
          runId: randomUUID(),
          mode: 'single',
          compression: 'none',
          dataset: config.dataset,
          model: config.model,
          backend: engine.backend,
          epochs: config.epochs,
          batchSize: config.batchSize,
          workers: 1,
          samplesPerEpoch,
          classNames: data.train.classNames,
          startedAt: Date.now(),
        },
        log,
        processMetrics: false,
        ...(config.outDir ? { historyPath: join(config.outDir, HISTORY_FILE_NAME) } : {}),
      });
      telemetry.begin({});
      let last = performance.now();
      progress.startEpoch(1, config.epochs, batchesPerEpoch, 'batches');
      let saveError: Error | undefined;
      try {
        const summary = await trainSingleProcess({
          config,
          data,
          ...(initialModel ? { initialModel } : {}),
          backend: engine.backend,
          log,
          onStep: (step, loss) => {
            const now = performance.now();
            const epoch = Math.floor((step - 1) / batchesPerEpoch);
            const inEpoch = step - epoch * batchesPerEpoch;
            const samples = inEpoch === batchesPerEpoch ? samplesPerEpoch - (batchesPerEpoch - 1) * config.batchSize : config.batchSize;
            telemetry.step({ step, epoch, loss, samples, stepMs: now - last });
            last = now;
            progress.updateEpoch(inEpoch, `loss ${loss.toFixed(4)}`);
          },
          onEpoch: (p) => {
            if (p.test) telemetry.epoch(p.epoch - 1, p.test);
            if (p.epoch < p.epochs) progress.startEpoch(p.epoch + 1, p.epochs, batchesPerEpoch, 'batches');
            last = performance.now();
          },
        });
        progress.stop();
        logKernelFallbacks(log);
        summary.extra = { ...summary.extra, kernel_fallbacks: kernelFallbackNames() };
        telemetry.finish(true, summary.report, summaryJson(summary));
        printSummary(summary, flags.json, data.train.classNames);
        saveError = summary.saveError;
      } catch (err) {
        progress.stop();
        telemetry.finish(false, null, { error: String((err as Error)?.message ?? err) });
        throw err;
      } finally {
        await telemetry.close();
      }
      // After the result is out and telemetry has recorded a finished run: the model is what failed.
      if (saveError) throw saveError;
    });
}
