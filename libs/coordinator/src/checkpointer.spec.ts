import { describe, expect, it } from 'vitest';
import { silentLogger } from '@dtrain/common';
import type { Logger } from '@dtrain/common';
import { ManualClock } from '@dtrain/common/testing';
import type { CheckpointState } from './checkpoint-state';
import { Checkpointer, checkRestorable } from './checkpointer';
import { CheckpointError } from './checkpoint-store';

const state = (updates: number, extra: Partial<CheckpointState> = {}): CheckpointState => ({
  runId: 'r',
  epoch: 0,
  step: updates,
  updates,
  samples: 0,
  version: updates,
  store: { weights: new Float32Array(3) } as unknown as CheckpointState['store'],
  plan: undefined,
  members: [],
  applied: [],
  seed: 7,
  report: undefined,
  ...extra,
});

function setup(opts: { everySteps?: number; everySeconds?: number; write?: (s: CheckpointState) => Promise<void>; log?: Logger } = {}) {
  const clock = new ManualClock();
  const written: CheckpointState[] = [];
  const seen: number[] = [];
  const c = new Checkpointer({
    clock,
    log: opts.log ?? silentLogger,
    write: opts.write ?? (async (s) => void written.push(s)),
    everySteps: opts.everySteps ?? 0,
    everySeconds: opts.everySeconds ?? 0,
    checkpointed: (step) => seen.push(step),
  });
  return { c, clock, written, seen };
}

describe('Checkpointer', () => {
  it('is due after everySteps updates since the last checkpoint, not one before', async () => {
    const { c } = setup({ everySteps: 3 });
    expect(c.due(2)).toBe(false);
    expect(c.due(3)).toBe(true);
    await c.writeNow(() => state(3));
    expect(c.due(5)).toBe(false);
    expect(c.due(6)).toBe(true);
  });

  it('is due after everySeconds, counted from the last write', async () => {
    const { c, clock } = setup({ everySeconds: 2 });
    clock.advance(1_999);
    expect(c.due(0)).toBe(false);
    clock.advance(1);
    expect(c.due(0)).toBe(true);
    await c.writeNow(() => state(0));
    expect(c.due(0)).toBe(false);
  });

  it('counts from the resumed checkpoint', () => {
    const { c } = setup({ everySteps: 3 });
    c.resumedAt(10);
    expect(c.due(12)).toBe(false);
    expect(c.due(13)).toBe(true);
  });

  it('is never due and writes nothing without a writer', async () => {
    const c = new Checkpointer({ clock: new ManualClock(), log: silentLogger, write: undefined, everySteps: 1, everySeconds: 0 });
    expect(c.enabled).toBe(false);
    expect(c.due(5)).toBe(false);
    let captured = false;
    await c.writeNow(() => ((captured = true), state(5)));
    expect(captured).toBe(false);
  });

  it('writes one at a time and captures the state only once the previous write is done', async () => {
    let release!: () => void;
    const order: string[] = [];
    const { c } = setup({
      write: (s) => {
        order.push(`write ${s.updates}`);
        return s.updates === 1 ? new Promise<void>((r) => (release = r)) : Promise.resolve();
      },
    });
    const first = c.writeNow(() => state(1));
    expect(c.busy).toBe(true);
    const second = c.writeNow(() => (order.push('capture 2'), state(2)));
    await Promise.resolve();
    expect(order).toEqual(['write 1']);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['write 1', 'capture 2', 'write 2']);
    expect(c.busy).toBe(false);
  });

  it('logs a failed write instead of throwing, and reports only successful ones', async () => {
    const errors: string[] = [];
    const log = { ...silentLogger, error: (msg: string) => void errors.push(msg) };
    const { c, seen } = setup({ write: (s) => (s.updates === 1 ? Promise.reject(new Error('disk full')) : Promise.resolve()), log });
    await c.writeNow(() => state(1));
    await c.writeNow(() => state(2));
    expect(errors).toEqual(['checkpoint failed']);
    expect(seen).toEqual([2]);
  });
});

describe('checkRestorable', () => {
  const here = { weights: 3, seed: 7, sampleSlots: 4 };
  const code = (s: CheckpointState): string | undefined => {
    try {
      checkRestorable(s, here);
      return undefined;
    } catch (err) {
      expect(err).toBeInstanceOf(CheckpointError);
      return (err as CheckpointError).code;
    }
  };

  it('accepts a checkpoint of the same model, seed and split', () => {
    expect(code(state(1, { coverage: { counts: new Float32Array(4), applied: 0 } }))).toBeUndefined();
  });

  it('refuses another weight count, seed or sample slot count', () => {
    expect(code(state(1, { store: { weights: new Float32Array(4) } as unknown as CheckpointState['store'] }))).toBe('CKPT_ERR_MISMATCH');
    expect(code(state(1, { seed: 8 }))).toBe('CKPT_ERR_MISMATCH');
    expect(code(state(1, { coverage: { counts: new Float32Array(5), applied: 0 } }))).toBe('CKPT_ERR_MISMATCH');
  });
});
