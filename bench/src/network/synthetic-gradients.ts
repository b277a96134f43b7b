/**
 * The synthetic worker's compute: the real worker's gradient step with the arithmetic replaced by
 * a wait of the measured compute time, returning real gradients. A handful of real gradients of the
 * model are computed once per process (on real batches, at the weights the first worker joined
 * with) and each worker cycles through them from its own offset, so pushes carry real-valued
 * gradients through the real compression and error feedback, at no compute cost per step.
 *
 * The wait runs until `computeMs` after the work frame arrived, not after the call: the workers of
 * one process share its event loop, and a worker whose call came late because the loop was loading
 * another worker's weights must not also wait the full time, as N separate machines would not. When
 * the loop is so busy that the deadline has passed on arrival, the step is late: that is the
 * process being CPU-bound, which the bench measures and reports (process CPU per wall second).
 */
import type * as tf from '@tensorflow/tfjs';
import type { Dataset } from '@dtrain/data';
import type { BatchGradients } from '@dtrain/trainer';
import { createBatchGradients } from '@dtrain/trainer';
import type { FrameClock } from './bound-host';

type Factory = typeof createBatchGradients;
type Options = Parameters<Factory>[2];

/** Real gradients of one model, computed once per process and shared by its workers (read-only). */
export class GradientPool {
  private pending: Promise<{ grads: Float32Array[]; losses: number[] }> | undefined;
  /** Wall ms the pool took to compute (once). */
  computeMsTotal = 0;

  constructor(
    private readonly size: number,
    private readonly batch: number,
  ) {}

  get(model: tf.LayersModel, ds: Dataset, opts: Options): Promise<{ grads: Float32Array[]; losses: number[] }> {
    this.pending ??= (async () => {
      const t0 = performance.now();
      const real = createBatchGradients(model, ds, opts);
      const grads: Float32Array[] = [];
      const losses: number[] = [];
      try {
        for (let b = 0; b < this.size; b++) {
          const indices = Array.from({ length: this.batch }, (_, k) => (b * this.batch + k) % ds.count);
          const r = await real.computeAsync(indices, b);
          // The computer reuses its buffer: keep a copy.
          grads.push(Float32Array.from(r.grads));
          losses.push(r.loss);
        }
      } finally {
        real.dispose();
      }
      this.computeMsTotal = performance.now() - t0;
      return { grads, losses };
    })();
    return this.pending;
  }
}

export interface SyntheticCompute {
  /** The wait that stands for one batch-64 step of this model. */
  computeMs: number;
  /** Where this worker starts in the pool, so workers do not push identical gradients. */
  offset: number;
  pool: GradientPool;
  frames: FrameClock;
  /** Steps whose deadline had already passed when the wait began (the process was too busy), and by how much in all. */
  late: { steps: number; ms: number };
}

const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

/** A `WorkerDeps.gradients` that waits `computeMs` (scaled by the batch share) and returns pooled real gradients. */
export function syntheticGradients(c: SyntheticCompute, batch: number): Factory {
  return (model, ds, opts): BatchGradients => {
    let step = 0;
    const next = async (indices: ArrayLike<number>): Promise<{ grads: Float32Array; loss: number; samples: number }> => {
      const start = c.frames.lastFrameAt ?? performance.now();
      const pool = await c.pool.get(model, ds, opts);
      const i = (c.offset + step++) % pool.grads.length;
      // A worker given fewer samples than the batch (an epoch's last step) computes proportionally less.
      const deadline = start + (c.computeMs * indices.length) / batch;
      const left = deadline - performance.now();
      if (left > 0) await sleep(left);
      else if (step > 1) {
        c.late.steps++;
        c.late.ms -= left;
      }
      return { grads: pool.grads[i] as Float32Array, loss: pool.losses[i] as number, samples: indices.length };
    };
    return {
      compute: () => {
        throw new Error('the synthetic worker computes asynchronously only (the worker calls computeAsync)');
      },
      computeAsync: (indices) => next(indices),
      dispose: () => undefined,
    };
  };
}
