import { fillBatch, loadDataset } from '@dtrain/data';
import { initEngine } from '@dtrain/engine';
import { buildModel, createGradientComputer, getFlatWeights, loadModel, modelConfig } from '@dtrain/model';
import { createAdam } from '@dtrain/training';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killChildren, readAppliedLog, removeTempDirs, runDtrain, tempDir } from './cluster-harness';

/** Per-worker batch: small, so N workers × one batch is one cheap step. */
const B = 16;
const SEED = 7;
const LR = 1e-3;

beforeAll(async () => {
  await initEngine({ backend: 'auto' });
});
afterEach(killChildren);
afterAll(removeTempDirs);

/**
 * One BSP step with N workers on N disjoint batches must be the single-process step on their union:
 * the server's sample-weighted mean of the workers' mean gradients is the mean gradient of the
 * union, and the same Adam applies it. `--train-limit N·B --epochs 1` makes exactly one step of
 * `dtrain local` (server + N worker processes); the reference is computed here, independently of
 * the trainer, with the model lib's gradient computer and the training lib's Adam.
 */
describe('BSP: one step of N workers equals one single-process step on the concatenated batch', () => {
  // K parameter shards (separate `dtrain shard` processes, each a key range with its own Adam state)
  // must make the very step one server makes.
  it.each([
    [2, 1],
    [3, 1],
    [2, 2],
    [3, 3],
  ])(
    '%i workers, %i parameter server(s)',
    async (n, servers) => {
      const out = await tempDir('bsp-one-step');
      const args = ['local', '--workers', String(n), '--servers', String(servers), '--batch-size', String(B), '--train-limit', String(n * B), '--epochs', '1'];
      const r = await runDtrain([...args, '--seed', String(SEED), '--lr', String(LR), '--test-limit', '50', '--out', out, '--json', '--no-dashboard'], 120_000);
      expect(r.code).toBe(0);
      expect(r.json).toMatchObject({ steps: 1, train_samples: n * B, workers: n, servers });
      const applied = await readAppliedLog(out);
      expect(new Set(applied.map((a) => a.workerId)).size).toBe(n);
      expect(applied.every((a) => a.samples === B && a.baseVersion === 0)).toBe(true);

      const data = await loadDataset('mnist-subset', { trainLimit: n * B });
      const model = buildModel(modelConfig('cnn', data.train.numClasses), { seed: SEED });
      const weights = getFlatWeights(model);
      const initial = weights.slice();
      const count = n * B;
      const images = new Float32Array(count * data.train.rows * data.train.cols);
      const labels = new Int32Array(count);
      fillBatch(data.train, Uint32Array.from({ length: count }, (_, i) => i), images, labels);
      const { grads } = createGradientComputer(model).compute(images, labels, count);
      createAdam(weights.length, { learningRate: LR }).apply(weights, grads);
      model.dispose();

      const saved = await loadModel(out);
      const distributed = getFlatWeights(saved.model);
      saved.model.dispose();
      let maxDiff = 0;
      let moved = 0;
      for (let i = 0; i < weights.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(distributed[i]! - weights[i]!));
        moved = Math.max(moved, Math.abs(weights[i]! - initial[i]!));
      }
      expect(maxDiff).toBeLessThanOrEqual(1e-5);
      // The step did move the weights (Adam's first step is ≈ lr per coordinate), so the check is not vacuous.
      expect(moved).toBeGreaterThan(LR / 2);
      console.info(`BSP ${n} workers, ${servers} server(s): max |distributed − reference| = ${maxDiff.toExponential(2)}`);
    },
    150_000,
  );
});
