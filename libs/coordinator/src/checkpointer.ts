import type { Clock, Logger } from '@dtrain/common';
import type { CheckpointState } from './checkpoint-state';
import { CheckpointError } from './checkpoint-store';

export interface CheckpointerDeps {
  clock: Clock;
  log: Logger;
  /** Persists a checkpoint; absent when the run keeps none. */
  write: ((state: CheckpointState) => Promise<void>) | undefined;
  /** Updates between checkpoints (0: not by count). */
  everySteps: number;
  /** Seconds between checkpoints (0: not by time). */
  everySeconds: number;
  checkpointed?: (step: number, version: number) => void;
}

/**
 * When to checkpoint and how: one write at a time, a failed write logged but never fatal. What goes
 * into the state is the caller's (`capture` runs only once the previous write has finished).
 */
export class Checkpointer {
  private lastStep = 0;
  private lastAt = 0;
  private writing: Promise<void> | undefined;

  constructor(private readonly d: CheckpointerDeps) {}

  get enabled(): boolean {
    return this.d.write !== undefined;
  }

  /** A write is under way. */
  get busy(): boolean {
    return this.writing !== undefined;
  }

  /** A resumed run counts the steps to the next checkpoint from the one it resumed. */
  resumedAt(updates: number): void {
    this.lastStep = updates;
  }

  /** `updates` optimizer steps so far: is a checkpoint due by count or by time? */
  due(updates: number): boolean {
    const { everySteps, everySeconds, clock } = this.d;
    const dueBySteps = everySteps > 0 && updates - this.lastStep >= everySteps;
    const dueByTime = everySeconds > 0 && clock.monotonic() - this.lastAt >= everySeconds * 1000;
    return this.d.write !== undefined && (dueBySteps || dueByTime);
  }

  async writeNow(capture: () => CheckpointState): Promise<void> {
    const write = this.d.write;
    if (!write) return;
    // One write at a time: the store names files by update count and prunes old ones.
    if (this.writing) await this.writing.catch(() => undefined);
    const state = capture();
    this.lastStep = state.updates;
    this.lastAt = this.d.clock.monotonic();
    try {
      this.writing = write(state);
      await this.writing;
      this.d.checkpointed?.(state.step, state.version);
    } catch (err) {
      // A failed checkpoint must not kill training; the next one may succeed.
      this.d.log.error('checkpoint failed', { error: String((err as Error).message) });
    } finally {
      this.writing = undefined;
    }
  }
}

/** Refuses a checkpoint this server cannot continue (another model, seed or training split). */
export function checkRestorable(s: CheckpointState, here: { weights: number; seed: number; sampleSlots: number }): void {
  const mismatch = (what: string, have: number, saved: number): never => {
    throw new CheckpointError('CKPT_ERR_MISMATCH', `checkpoint ${what}: ${saved}, this server: ${have}`, { what, have, saved });
  };
  if (s.store.weights.length !== here.weights) mismatch('weight count', here.weights, s.store.weights.length);
  // The saved epoch plan was shuffled with the saved seed; another seed would mix two runs' orders.
  if (s.seed !== here.seed) mismatch('seed', here.seed, s.seed);
  if (s.coverage && s.coverage.counts.length !== here.sampleSlots) mismatch('sample slots', here.sampleSlots, s.coverage.counts.length);
}
