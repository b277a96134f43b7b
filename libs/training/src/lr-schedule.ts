import { TrainingError } from './training-error';

/**
 * How the learning rate moves over a run. Progress is counted in epochs of samples applied (so it
 * means the same in BSP, ASP and SSP, with any number of workers, and survives a resume):
 *   constant      the base rate throughout (the default)
 *   cosine[:W]    linear warm-up over the first W epochs (default 0), then a cosine decay from the
 *                 base rate to 0 at the end of the last epoch (Loshchilov & Hutter's SGDR, one cycle)
 *   step:E:G      multiply the rate by G every E epochs (e.g. step:2:0.5)
 */
export type LrSchedule =
  | { kind: 'constant' }
  | { kind: 'cosine'; warmupEpochs: number }
  | { kind: 'step'; everyEpochs: number; gamma: number };

export const LR_SCHEDULE_SYNTAX = 'constant | cosine[:WARMUP_EPOCHS] | step:EVERY_EPOCHS:GAMMA';

function bad(spec: string, why: string): TrainingError {
  return new TrainingError('TRAIN_ERR_BAD_OPTIMIZER', `learning-rate schedule '${spec}': ${why} (${LR_SCHEDULE_SYNTAX})`, { spec });
}

function number(spec: string, text: string | undefined, what: string, ok: (x: number) => boolean): number {
  const x = text === undefined || text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(x) || !ok(x)) throw bad(spec, `${what} must be ${text === undefined ? 'given' : `valid, got '${text}'`}`);
  return x;
}

/** Parses a schedule spec; a coded TRAIN_ERR_BAD_OPTIMIZER names what is wrong. */
export function parseLrSchedule(spec: string): LrSchedule {
  const [kind, ...args] = spec.split(':');
  if (kind === 'constant' && args.length === 0) return { kind: 'constant' };
  if (kind === 'cosine' && args.length <= 1) {
    return { kind: 'cosine', warmupEpochs: args.length === 0 ? 0 : number(spec, args[0], 'the warm-up (epochs, ≥ 0)', (x) => x >= 0) };
  }
  if (kind === 'step' && args.length === 2) {
    return {
      kind: 'step',
      everyEpochs: number(spec, args[0], 'the period (epochs, > 0)', (x) => x > 0),
      gamma: number(spec, args[1], 'the factor (in (0, 1])', (x) => x > 0 && x <= 1),
    };
  }
  throw bad(spec, 'unknown form');
}

/** The learning rate at `progressEpochs` (0 at the start) of a run of `totalEpochs`. */
export function scheduledLearningRate(s: LrSchedule, base: number, progressEpochs: number, totalEpochs: number): number {
  const p = Math.max(0, progressEpochs);
  switch (s.kind) {
    case 'constant':
      return base;
    case 'step':
      return base * s.gamma ** Math.floor(p / s.everyEpochs + 1e-9);
    case 'cosine': {
      const w = Math.min(s.warmupEpochs, totalEpochs);
      if (p < w) return (base * p) / w;
      const span = totalEpochs - w;
      if (span <= 0) return base;
      const t = Math.min(1, (p - w) / span);
      return base * 0.5 * (1 + Math.cos(Math.PI * t));
    }
  }
}
