/**
 * The compute time a synthetic worker waits instead of computing: one real training step of the
 * model at batch 64 on the wasm engine, measured here, alone on the machine, before any namespace
 * or server exists. A step is gradients (batch fill, forward, backward, read-out) plus writing the
 * new weights into the model, because that is what a real worker does between receiving weights
 * and pushing, and the synthetic worker's wait stands for all of it.
 */
import type { DatasetSplits } from '@dtrain/data';
import { initEngine } from '@dtrain/engine';
import type { ModelName } from '@dtrain/model';
import { buildModel, getFlatWeights, modelConfig, setFlatWeights } from '@dtrain/model';
import { PROTOCOL_VERSION, encodeMessage } from '@dtrain/protocol';
import { createBatchGradients } from '@dtrain/trainer';
import { ErrorFeedback, parseCompression } from '@dtrain/training';

export interface ComputeCalibration {
  model: ModelName;
  batch: number;
  /** Median ms of gradients + weight write-back over the timed steps. */
  step_ms: number;
  gradients_ms: number;
  /** A real worker's push encode per gradient codec (error-feedback compression + frame), median ms. */
  encode_ms: Record<string, number>;
  steps: number;
  backend: string;
  method: string;
}

const WARMUP_STEPS = 3;
/** Gradient codecs of the sweep whose worker-side encode is timed. */
const ENCODE_CODECS = ['none', 'int4'] as const;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

/** Times `steps` real steps of `model` at `batch` on consecutive batches of the training split. */
export async function calibrateCompute(model: ModelName, data: DatasetSplits, batch: number, steps: number): Promise<ComputeCalibration> {
  const engine = await initEngine({ backend: 'wasm', env: {} });
  const m = buildModel(modelConfig(model, data.train.numClasses), { seed: 1 });
  const grads = createBatchGradients(m, data.train, { augment: null });
  const weights = getFlatWeights(m);
  const total: number[] = [];
  const encode: Record<string, number> = {};
  const gradOnly: number[] = [];
  try {
    for (let i = 0; i < WARMUP_STEPS + steps; i++) {
      const indices = Array.from({ length: batch }, (_, k) => (i * batch + k) % data.train.count);
      const t0 = performance.now();
      const r = await grads.computeAsync(indices, i);
      const t1 = performance.now();
      // The update's arithmetic is the server's; the worker only writes the weights it receives.
      for (let k = 0; k < weights.length; k++) weights[k] = (weights[k] as number) - 1e-4 * (r.grads[k] as number);
      const t2 = performance.now();
      setFlatWeights(m, weights);
      const t3 = performance.now();
      if (i >= WARMUP_STEPS) {
        total.push(t1 - t0 + (t3 - t2));
        gradOnly.push(t1 - t0);
      }
    }
    const g = Float32Array.from((await grads.computeAsync(Array.from({ length: batch }, (_, k) => k), 0)).grads);
    for (const codec of ENCODE_CODECS) {
      const spec = parseCompression(codec);
      const feedback = new ErrorFeedback(g.length, spec);
      const times: number[] = [];
      for (let i = 0; i < WARMUP_STEPS + steps; i++) {
        const t0 = performance.now();
        const grad = spec.kind === 'none' ? { codec: 'fp32' as const, length: g.length, data: g } : feedback.compress(g);
        if (spec.kind !== 'none') feedback.carriedBy(grad, g);
        encodeMessage({ type: 'push', v: PROTOCOL_VERSION, workerId: 'calibration', step: i, baseVersion: i, samples: batch, loss: 1, computeMs: 1, grad });
        if (i >= WARMUP_STEPS) times.push(performance.now() - t0);
      }
      encode[codec] = Math.round(median(times) * 100) / 100;
    }
  } finally {
    grads.dispose();
    m.dispose();
  }
  const round = (x: number): number => Math.round(x * 100) / 100;
  return {
    model,
    batch,
    step_ms: round(median(total)),
    gradients_ms: round(median(gradOnly)),
    encode_ms: encode,
    steps,
    backend: engine.backend,
    method: `measured by the bench: median of ${steps} steps (after ${WARMUP_STEPS} warm-up) of createBatchGradients + setFlatWeights, batch ${batch}, ${engine.backend}${engine.simd ? ' SIMD' : ''}, one process alone before the run`,
  };
}
