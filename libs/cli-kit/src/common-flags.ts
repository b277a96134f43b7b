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
import type { FlagRow } from './flag-table';
import { addFlagTable, applyFlagTable, flagRow } from './flag-table';

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

/** The run config the common flags build, before resolveRunConfig fills and validates the rest. */
type RunDraft = Partial<RunConfig>;

const row = <K extends keyof CommonFlags & string>(field: K, flag: string, doc: string, extra: Parameters<typeof flagRow<CommonFlags, RunDraft, K>>[3] = {}) =>
  flagRow<CommonFlags, RunDraft, K>(field, flag, doc, extra);
const d = DEFAULT_RUN_CONFIG;

/**
 * The flags every training-shaped command shares (`train`, `server`, `local`, `finetune`, `eval`),
 * one row each. Dataset and classes, and the model name or file, combine in `runConfigFromFlags`.
 */
export const COMMON_FLAG_TABLE: readonly FlagRow<CommonFlags, RunDraft>[] = [
  row('dataset', '--dataset <spec>', 'mnist (full, offline) | mnist-subset (10,000, fast) | fashion-mnist | idx:DIR | url:BASE | folder:DIR (or folder,size=HxW,channels=1|3,fit=resize|check,skip-bad:DIR) | classes:LIST:SPEC', { default: d.dataset }),
  row('classes', '--classes <list>', 'keep only these classes of the dataset, relabelled 0..k-1 (e.g. 5-9 or 0,2,4); same as --dataset classes:LIST:SPEC'),
  row('model', '--model <name|file>', `model: ${MODELS.join(' | ')}, or a TF.js Layers model.json (Sequential; with or without weights)`, { default: d.model }),
  row('epochs', '--epochs <n>', 'passes over the training split', { parse: intArg('--epochs'), default: d.epochs, to: (o, v) => (o.epochs = v) }),
  row('batchSize', '--batch-size <n>', 'samples per batch (per worker in a cluster)', { parse: intArg('--batch-size'), default: d.batchSize, to: (o, v) => (o.batchSize = v) }),
  row('lr', '--lr <x>', 'learning rate', { parse: floatArg('--lr'), default: d.learningRate, to: (o, v) => (o.learningRate = v) }),
  row('lrSchedule', '--lr-schedule <s>', `learning-rate schedule: ${LR_SCHEDULE_SYNTAX}`, { default: d.lrSchedule, to: (o, v) => (o.lrSchedule = v) }),
  row('seed', '--seed <n>', 'seed for init, shuffles, shards and augmentation', { parse: intArg('--seed'), default: d.seed, to: (o, v) => (o.seed = v) }),
  row('trainLimit', '--train-limit <n>', 'use only the first N training samples (0 = all)', { parse: intArg('--train-limit'), default: 0, to: (o, v) => (o.trainLimit = v) }),
  row('testLimit', '--test-limit <n>', 'evaluate on at most N test samples (0 = all)', { parse: intArg('--test-limit'), default: 0, to: (o, v) => (o.testLimit = v) }),
  row('backend', '--backend <name>', `compute backend: ${BACKENDS.join(' | ')} (env DTRAIN_BACKEND)`, {
    parse: (v) => {
      if (!BACKENDS.includes(v)) throw new InvalidArgumentError(`--backend must be one of ${BACKENDS.join(', ')}`);
      return v;
    },
    to: (o, v) => (o.backend = v as RunConfig['backend']),
  }),
  row('augment', '--augment', 'seeded augmentation (rotation ±10°, shift ±2 px, scale ±10%)', { default: false, to: (o, v) => (o.augment = v ? { rotateDeg: 10, shift: 2, scale: 0.1 } : null) }),
  row('out', '--out <dir>', 'directory for the saved model and run files', { to: (o, v) => (o.outDir = v) }),
  row('json', '--json', 'quiet; the last stdout line is one JSON object with the results', { default: false }),
  row('logLevel', '--log-level <level>', `${LOG_LEVELS.join(' | ')} (default info, or silent with --json)`),
  row('logFormat', '--log-format <format>', 'auto | pretty | json lines (auto: pretty on a terminal; env DTRAIN_LOG_FORMAT)'),
];

/** The common flags (COMMON_FLAG_TABLE); `--backend` defaults to DTRAIN_BACKEND, else auto. */
export function addCommonFlags(cmd: Command): Command {
  return addFlagTable(cmd, COMMON_FLAG_TABLE, { backend: process.env['DTRAIN_BACKEND'] ?? 'auto' });
}

export function runConfigFromFlags(f: CommonFlags): RunConfig {
  if (!BACKENDS.includes(f.backend)) throw new InvalidArgumentError(`--backend must be one of ${BACKENDS.join(', ')}`);
  // A built-in name, or a TF.js model.json (its directory) of the user's.
  const builtIn = MODELS.includes(f.model);
  if (!builtIn && !/\.json$/i.test(f.model) && !existsSync(join(f.model, 'model.json')))
    throw new InvalidArgumentError(`--model must be one of ${MODELS.join(', ')}, or a TF.js model.json (or a directory holding one), got ${f.model}`);
  return resolveRunConfig({
    ...applyFlagTable(f, COMMON_FLAG_TABLE, {}),
    dataset: f.classes === undefined ? f.dataset : `${CLASSES_PREFIX}${f.classes}:${f.dataset}`,
    model: builtIn ? (f.model as RunConfig['model']) : DEFAULT_RUN_CONFIG.model,
    modelFile: builtIn ? undefined : f.model,
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
