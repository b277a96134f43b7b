import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import type { LogLevel } from '@dtrain/common';
import { LOG_LEVELS } from '@dtrain/common';
import type { RunConfig } from '@dtrain/trainer';
import { DEFAULT_RUN_CONFIG, resolveRunConfig } from '@dtrain/trainer';
import { LR_SCHEDULE_SYNTAX } from '@dtrain/training';
import { CLASSES_PREFIX } from '@dtrain/data';
import { BACKEND_NAMES } from '@dtrain/engine';

export interface CommonFlags {
  dataset: string;
  classes?: string;
  model: string;
  epochs: number;
  batchSize: number;
  lr: number;
  lrSchedule: string;
  seed: number;
  trainLimit: number;
  testLimit: number;
  backend: string;
  augment: boolean;
  out?: string;
  json: boolean;
  logLevel?: string;
  logFormat?: string;
}

export function intArg(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${name} must be an integer`);
    return n;
  };
}

export function floatArg(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number`);
    return n;
  };
}

const BACKENDS: readonly string[] = ['auto', ...BACKEND_NAMES];
const MODELS = ['cnn', 'cnn-large'];

/** The flags every training-shaped command shares (`train`, `server`, `local`, `finetune`, `eval`). */
export function addCommonFlags(cmd: Command): Command {
  const d = DEFAULT_RUN_CONFIG;
  return cmd
    .option('--dataset <spec>', 'mnist (full, offline) | mnist-subset (10,000, fast) | fashion-mnist | idx:DIR | url:BASE | folder:DIR | classes:LIST:SPEC', d.dataset)
    .option('--classes <list>', 'keep only these classes of the dataset, relabelled 0..k-1 (e.g. 5-9 or 0,2,4); same as --dataset classes:LIST:SPEC')
    .option('--model <name|file>', `model: ${MODELS.join(' | ')}, or a TF.js Layers model.json (Sequential; with or without weights)`, d.model)
    .option('--epochs <n>', 'passes over the training split', intArg('--epochs'), d.epochs)
    .option('--batch-size <n>', 'samples per batch (per worker in a cluster)', intArg('--batch-size'), d.batchSize)
    .option('--lr <x>', 'learning rate', floatArg('--lr'), d.learningRate)
    .option('--lr-schedule <s>', `learning-rate schedule: ${LR_SCHEDULE_SYNTAX}`, d.lrSchedule)
    .option('--seed <n>', 'seed for init, shuffles, shards and augmentation', intArg('--seed'), d.seed)
    .option('--train-limit <n>', 'use only the first N training samples (0 = all)', intArg('--train-limit'), 0)
    .option('--test-limit <n>', 'evaluate on at most N test samples (0 = all)', intArg('--test-limit'), 0)
    .option('--backend <name>', `compute backend: ${BACKENDS.join(' | ')} (env DTRAIN_BACKEND)`, process.env['DTRAIN_BACKEND'] ?? 'auto')
    .option('--augment', 'seeded augmentation (rotation ±10°, shift ±2 px, scale ±10%)', false)
    .option('--out <dir>', 'directory for the saved model and run files')
    .option('--json', 'quiet; the last stdout line is one JSON object with the results', false)
    .option('--log-level <level>', `${LOG_LEVELS.join(' | ')} (default info, or silent with --json)`)
    .option('--log-format <format>', 'auto | pretty | json lines (auto: pretty on a terminal; env DTRAIN_LOG_FORMAT)');
}

export function runConfigFromFlags(f: CommonFlags): RunConfig {
  if (!BACKENDS.includes(f.backend)) throw new InvalidArgumentError(`--backend must be one of ${BACKENDS.join(', ')}`);
  // A built-in name, or a TF.js model.json (its directory) of the user's.
  const builtIn = MODELS.includes(f.model);
  if (!builtIn && !/\.json$/i.test(f.model) && !existsSync(join(f.model, 'model.json')))
    throw new InvalidArgumentError(`--model must be one of ${MODELS.join(', ')}, or a TF.js model.json (or a directory holding one), got ${f.model}`);
  return resolveRunConfig({
    dataset: f.classes === undefined ? f.dataset : `${CLASSES_PREFIX}${f.classes}:${f.dataset}`,
    model: builtIn ? (f.model as RunConfig['model']) : DEFAULT_RUN_CONFIG.model,
    modelFile: builtIn ? undefined : f.model,
    epochs: f.epochs,
    batchSize: f.batchSize,
    learningRate: f.lr,
    lrSchedule: f.lrSchedule,
    seed: f.seed,
    trainLimit: f.trainLimit,
    testLimit: f.testLimit,
    backend: f.backend as RunConfig['backend'],
    augment: f.augment ? { rotateDeg: 10, shift: 2, scale: 0.1 } : null,
    outDir: f.out,
  });
}

export function logLevelOf(f: { json?: boolean; logLevel?: string }): LogLevel {
  if (f.logLevel !== undefined) {
    if (!(LOG_LEVELS as readonly string[]).includes(f.logLevel))
      throw new InvalidArgumentError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
    return f.logLevel as LogLevel;
  }
  return f.json ? 'silent' : 'info';
}
