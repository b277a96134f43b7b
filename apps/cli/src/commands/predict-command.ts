import { Command } from 'commander';
import { loadDataset, fillBatch } from '@dtrain/data';
import { initEngine } from '@dtrain/engine';
import { loadModel, predictClasses } from '@dtrain/model';
import { DEFAULT_RUN_CONFIG } from '@dtrain/trainer';
import { InputError, colourImageToInput, pngToInput } from '../png-input';
import { intArg, printLine } from '@dtrain/cli-kit';

interface PredictFlags {
  from: string;
  image?: string;
  index?: number;
  dataset?: string;
  split: string;
  backend: string;
  json: boolean;
}

export function predictCommand(): Command {
  return new Command('predict')
    .description('classify a PNG image, or sample N of a dataset split, with a saved model')
    .requiredOption('--from <dir>', 'directory of a saved model')
    .option('--image <file.png>', 'a PNG image (any size; converted to grayscale and resized)')
    .option('--index <n>', 'index of a sample in the dataset split', intArg('--index'))
    .option('--dataset <spec>', 'dataset for --index (default: the one the model was trained on)')
    .option('--split <name>', 'train | test', 'test')
    .option('--backend <name>', 'compute backend', process.env['DTRAIN_BACKEND'] ?? 'auto')
    .option('--json', 'print one JSON object', false)
    .action(async (flags: PredictFlags) => {
      if ((flags.image === undefined) === (flags.index === undefined))
        throw new InputError('INPUT_ERR_BAD_IMAGE', 'give exactly one of --image FILE or --index N');
      await initEngine({ backend: flags.backend as 'auto', webgpu: false });
      const { model, config, meta } = await loadModel(flags.from);
      const [rows, cols, channels] = config.inputShape;
      let input: Float32Array;
      let label: number | undefined;
      let classNames = Array.isArray(meta['classNames']) ? (meta['classNames'] as string[]) : undefined;
      if (flags.image !== undefined) input = channels === 3 ? await colourImageToInput(flags.image, rows, cols) : await pngToInput(flags.image, rows, cols);
      else {
        const spec = flags.dataset ?? (typeof meta['dataset'] === 'string' ? meta['dataset'] : DEFAULT_RUN_CONFIG.dataset);
        const data = await loadDataset(spec);
        const ds = flags.split === 'train' ? data.train : data.test;
        const index = flags.index ?? 0;
        if (index < 0 || index >= ds.count)
          throw new InputError('INPUT_ERR_BAD_IMAGE', `--index must be in 0..${ds.count - 1}`, { index });
        input = new Float32Array(rows * cols);
        const labels = new Int32Array(1);
        fillBatch(ds, [index], input, labels);
        label = labels[0];
        classNames ??= ds.classNames;
      }
      const { classes, probs } = predictClasses(model, input, 1);
      const cls = classes[0] ?? 0;
      const ranked = Array.from(probs)
        .map((p, i) => ({ class: i, name: classNames?.[i] ?? String(i), probability: p }))
        .sort((a, b) => b.probability - a.probability)
        .slice(0, 3);
      const result = { class: cls, name: classNames?.[cls] ?? String(cls), probability: probs[cls] ?? 0, label: label ?? null, top3: ranked };
      if (flags.json) printLine(JSON.stringify(result));
      else {
        printLine(`predicted ${result.name} (class ${cls}) with p=${result.probability.toFixed(4)}` + (label !== undefined ? `; true label ${classNames?.[label] ?? label}` : ''));
        for (const r of ranked) printLine(`  ${r.name.padEnd(12)} ${r.probability.toFixed(4)}`);
      }
      model.dispose();
    });
}
