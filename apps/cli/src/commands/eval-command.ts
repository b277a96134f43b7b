import { Command } from 'commander';
import { createLineLogger } from '@dtrain/common';
import { loadDataset } from '@dtrain/data';
import { initEngine } from '@dtrain/engine';
import { loadModel } from '@dtrain/model';
import { formatReport } from '@dtrain/training';
import { DEFAULT_RUN_CONFIG, evaluateModel } from '@dtrain/trainer';
import { intArg, logLevelOf, printLine } from '@dtrain/cli-kit';

interface EvalFlags {
  from: string;
  dataset?: string;
  testLimit: number;
  backend: string;
  json: boolean;
  logLevel?: string;
}

export function evalCommand(): Command {
  return new Command('eval')
    .description('evaluate a saved model: accuracy, per-class precision/recall/F1, confusion matrix')
    .requiredOption('--from <dir>', 'directory of a saved model (model.json)')
    .option('--dataset <spec>', 'dataset to evaluate on (default: the one the model was trained on)')
    .option('--test-limit <n>', 'evaluate on at most N test samples (0 = all)', intArg('--test-limit'), 0)
    .option('--backend <name>', 'compute backend', process.env['DTRAIN_BACKEND'] ?? 'auto')
    .option('--json', 'quiet; last stdout line is a JSON object', false)
    .option('--log-level <level>', 'log level')
    .action(async (flags: EvalFlags) => {
      const log = createLineLogger(logLevelOf(flags));
      const engine = await initEngine({ backend: flags.backend as 'auto', webgpu: false });
      const { model, meta } = await loadModel(flags.from);
      const spec = flags.dataset ?? (typeof meta['dataset'] === 'string' ? meta['dataset'] : DEFAULT_RUN_CONFIG.dataset);
      const data = await loadDataset(spec);
      log.info('evaluating', { model: flags.from, dataset: spec, backend: engine.backend });
      const report = evaluateModel(model, data.test, flags.testLimit);
      if (flags.json) {
        printLine(
          JSON.stringify({
            test_accuracy: report.accuracy,
            test_loss: report.loss ?? null,
            macro_f1: report.macro.f1,
            test_samples: report.count,
            per_class: report.perClass,
            confusion: report.confusion,
            backend: engine.backend,
            dataset: spec,
          }),
        );
      } else printLine(formatReport(report, data.test.classNames));
      model.dispose();
    });
}
