import { randomBytes } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import type * as tf from '@tensorflow/tfjs';
import { loadDataset } from '@dtrain/data';
import { initEngine } from '@dtrain/engine';
import type { ModelConfig, ModelName } from '@dtrain/model';
import { headLayerName, isFrozenLayer, layerOfWeight, loadModel, replaceHead, weightManifest } from '@dtrain/model';
import type { EvaluationReport } from '@dtrain/training';
import { checkModelFitsData, evaluateModel } from '@dtrain/trainer';
import { superviseLocalWorkers, workerLogFormatFor } from '../local-workers';
import { addCommonFlags, cliConsole, intArg, logFormatOf, logLevelOf, printLine, printSummary } from '@dtrain/cli-kit';
import type { ServerFlags } from '@dtrain/server-runtime';
import { addServerFlags, compressionRatioFor, launchServer, securityWarnings, serverOptionsFromFlags } from '@dtrain/server-runtime';

const BUILT_IN_MODELS: readonly string[] = ['cnn', 'cnn-large'];

interface FinetuneFlags extends ServerFlags {
  from: string;
  newHead?: number;
  externalWorkers: number;
}

/**
 * `dtrain finetune`: continue training a saved model on another dataset, distributed exactly like
 * `dtrain local` (a parameter server plus --workers spawned worker processes) or, with --workers 0,
 * waiting for --external-workers `dtrain worker`s. Optionally replaces the classification head and
 * freezes layers (the server's optimizer skips them). Evaluates on the target test split before and after.
 */
export function finetuneCommand(): Command {
  return addServerFlags(addCommonFlags(new Command('finetune')))
    .description('fine-tune a saved model on another dataset (new head, frozen layers), distributed like training')
    .requiredOption('--from <dir>', 'directory of a saved model (model.json)')
    .option('--new-head <n>', 'replace the classification head with a fresh one of N classes', intArg('--new-head'))
    .option('--external-workers <n>', 'with --workers 0: external `dtrain worker`s to wait for', intArg('--external-workers'), 1)
    .action(async (flags: FinetuneFlags) => {
      const { log, progress } = cliConsole(flags, logLevelOf(flags));
      if (flags.workers < 0) throw new InvalidArgumentError('--workers must be ≥ 0');
      if (flags.externalWorkers < 1) throw new InvalidArgumentError('--external-workers must be ≥ 1');
      const spawnLocal = flags.workers > 0;
      // Local workers need no open interface; external ones do, so only the local case narrows the default.
      const host = spawnLocal && flags.host === undefined ? '127.0.0.1' : flags.host;
      const userToken = flags.token ?? flags.tokenFile ?? process.env['DTRAIN_TOKEN'];
      const token = spawnLocal && !userToken ? randomBytes(24).toString('base64url') : undefined;
      // Before loading: the model's tensors live on the backend that is current when it is built.
      const engine = await initEngine({ backend: flags.backend as 'auto', webgpu: false });
      const loaded = await loadModel(flags.from);
      log.info('model loaded', { from: flags.from, model: loaded.config.name, classes: loaded.config.numClasses, backend: engine.backend });
      let model: tf.LayersModel = loaded.model;
      let config: ModelConfig = loaded.config;
      try {
        if (flags.newHead !== undefined) {
          const replaced = replaceHead(loaded.model, flags.newHead, { seed: flags.seed });
          loaded.model.dispose();
          ({ model, config } = replaced);
        }
        const frozen = frozenLayers(flags.freeze, model, config, flags.newHead !== undefined);
        const options = serverOptionsFromFlags(flags, {
          host,
          workers: spawnLocal ? flags.workers : flags.externalWorkers,
          frozen,
          ...(token ? { token } : {}),
        });
        for (const warning of securityWarnings(flags, options)) log.warn(warning);
        if (BUILT_IN_MODELS.includes(config.name)) options.run.model = config.name as ModelName;
        const data = await loadDataset(options.run.dataset, { trainLimit: options.run.trainLimit || undefined });
        checkModelFitsData(config, data.train, { hint: `: pass --new-head ${data.train.numClasses}`, field: 'newHead' });
        const before = evaluateModel(model, data.test, options.run.testLimit);
        log.info('before fine-tuning', { dataset: options.run.dataset, test_accuracy: +before.accuracy.toFixed(4), test_loss: +(before.loss ?? NaN).toFixed(4) });
        if (!flags.json) printLine(`before fine-tuning: test accuracy ${pct(before.accuracy)} on ${options.run.dataset} (${before.count} samples)`);
        const run = await launchServer(
          options,
          log,
          { data, initialModel: { model, config }, saveMeta: { finetunedFrom: flags.from, frozen, newHead: flags.newHead ?? null, accuracyBefore: before.accuracy } },
          { progress },
        );
        if (!spawnLocal || !flags.json) process.stderr.write(`dtrain finetune listening on ${run.server.url.replace('127.0.0.1', options.host)} (port ${run.server.port})\n`);
        const local = superviseLocalWorkers(() => run.server, options, spawnLocal ? options.workers : 0, { json: flags.json, workerLogFormat: workerLogFormatFor(logFormatOf(flags)), log });
        try {
          const summary = await run.summary;
          const result = await run.server.done;
          summary.extra = {
            ...summary.extra,
            compression_ratio: compressionRatioFor(result.totals, weightManifest(model).totalSize),
            finetuned_from: flags.from,
            new_head: flags.newHead ?? null,
            frozen,
            before_test_accuracy: round4(before.accuracy),
            before_test_loss: before.loss === undefined ? null : round4(before.loss),
          };
          printSummary(summary, flags.json, data.train.classNames);
          if (!flags.json) printLine(afterLine(before, summary.report));
          if (summary.saveError) throw summary.saveError;
        } finally {
          await local.close();
        }
      } finally {
        model.dispose();
      }
    });
}

/** `--freeze` entries, each of which must name (or prefix) a layer with weights: a typo must not silently train everything. */
function frozenLayers(spec: string | undefined, model: tf.LayersModel, config: ModelConfig, newHead: boolean): string[] {
  const frozen = spec ? spec.split(',').map((s) => s.trim()).filter(Boolean) : [];
  const layers = [...new Set(weightManifest(model).entries.map((e) => layerOfWeight(e.name)))];
  for (const f of frozen) {
    const hits = layers.filter((l) => isFrozenLayer(l, [f]));
    if (hits.length === 0) throw new InvalidArgumentError(`--freeze ${f} matches no layer with weights (layers: ${layers.join(', ')})`);
    if (newHead && hits.includes(headLayerName(config))) throw new InvalidArgumentError(`--freeze ${f} would freeze the new head (${headLayerName(config)}), which starts random`);
  }
  if (frozen.length > 0 && layers.every((l) => isFrozenLayer(l, frozen))) throw new InvalidArgumentError('--freeze freezes every layer; nothing would train');
  return frozen;
}


const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;

function afterLine(before: EvaluationReport, after: EvaluationReport): string {
  const gain = 100 * (after.accuracy - before.accuracy);
  return `fine-tuning: test accuracy ${pct(before.accuracy)} → ${pct(after.accuracy)} (${gain >= 0 ? '+' : ''}${gain.toFixed(2)} pt)`;
}
