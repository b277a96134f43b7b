import type * as tf from '@tensorflow/tfjs';
import type { AugmentOptions, Dataset } from '@dtrain/data';
import { fillBatch, imageSize } from '@dtrain/data';
import type { GradientResult } from '@dtrain/model';
import { createGradientComputer } from '@dtrain/model';

export interface BatchGradients {
  /** Mean-loss gradients of the model's current weights on the samples `indices` of the dataset. */
  compute(indices: ArrayLike<number>, augmentSeed: number): GradientResult & { samples: number };
  /** The same on any backend, WebGPU included (which can only read its results back asynchronously). */
  computeAsync(indices: ArrayLike<number>, augmentSeed: number): Promise<GradientResult & { samples: number }>;
  dispose(): void;
}

/**
 * The one place a batch turns into gradients, used by `dtrain train` and by every worker, so the
 * single-process and distributed paths do the same math. Batch buffers are reused across steps.
 */
export function createBatchGradients(
  model: tf.LayersModel,
  ds: Dataset,
  opts: { augment: AugmentOptions | null; frozen?: readonly string[] },
): BatchGradients {
  const gc = createGradientComputer(model, { frozen: opts.frozen ?? [] });
  // rows · cols · channels: the NHWC floats of one image.
  const pixels = imageSize(ds);
  let images = new Float32Array(0);
  let labels = new Int32Array(0);
  const fill = (indices: ArrayLike<number>, augmentSeed: number): number => {
    const n = indices.length;
    if (images.length < n * pixels) {
      images = new Float32Array(n * pixels);
      labels = new Int32Array(n);
    }
    return fillBatch(ds, indices, images.subarray(0, n * pixels), labels.subarray(0, n), opts.augment ? { augment: opts.augment, seed: augmentSeed } : undefined);
  };
  return {
    compute(indices, augmentSeed) {
      const count = fill(indices, augmentSeed);
      const r = gc.compute(images.subarray(0, count * pixels), labels.subarray(0, count), count);
      return { ...r, samples: count };
    },
    async computeAsync(indices, augmentSeed) {
      const count = fill(indices, augmentSeed);
      const r = await gc.computeAsync(images.subarray(0, count * pixels), labels.subarray(0, count), count);
      return { ...r, samples: count };
    },
    dispose: () => gc.dispose(),
  };
}
