/** One training configuration, passed identically to `dtrain local` and to the server container. */
export interface RunFlags {
  workers: number;
  epochs: number;
  trainLimit: number;
  testLimit: number;
  seed: number;
  dataset?: string;
}

/** The flags shared by `dtrain local` and `dtrain server` for this configuration. */
export function runArgs(f: RunFlags): string[] {
  return [
    '--dataset', f.dataset ?? 'mnist-subset',
    '--workers', String(f.workers),
    '--epochs', String(f.epochs),
    '--train-limit', String(f.trainLimit),
    '--test-limit', String(f.testLimit),
    '--seed', String(f.seed),
  ];
}

/** Commands that train on a dataset (eval and predict default to the model's own). */
const DATASET_COMMANDS = new Set(['train', 'local', 'server', 'finetune']);

/**
 * The suites train on the 10,000-digit embedded split (fast, and what their expected accuracies
 * were measured on); the product's default is full MNIST. Adds `--dataset mnist-subset` to a
 * dataset-loading command that names none.
 */
export function withTestDataset(args: string[]): string[] {
  const [command, ...rest] = args;
  if (command === undefined || !DATASET_COMMANDS.has(command) || rest.some((a) => a === '--dataset' || a.startsWith('--dataset='))) return args;
  return [command, '--dataset', 'mnist-subset', ...rest];
}
