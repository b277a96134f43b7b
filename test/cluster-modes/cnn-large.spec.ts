import { initEngine } from '@dtrain/engine';
import { buildModel, getFlatWeights, loadModel, modelConfig, parameterCount } from '@dtrain/model';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killChildren, readAppliedLog, removeTempDirs, runDtrain, tempDir } from './cluster-harness';

const TRAIN = 64;
const BATCH = 16;
const SEED = 2;

beforeAll(async () => {
  await initEngine({ backend: 'auto' });
});
afterEach(killChildren);
afterAll(removeTempDirs);

/**
 * The larger variant (≈1.7 M weights, dropout) through every consistency mode, briefly (it is ~10×
 * slower per sample than the model of record): `dtrain local` with two worker processes. Lossy
 * compression on the async modes covers the weight-delta path for this model too.
 */
describe('--model cnn-large runs in every mode', () => {
  it.each([
    ['bsp', 'none'],
    ['asp', 'topk:0.05'],
    ['ssp', 'int8'],
  ] as const)(
    '%s with compression %s',
    async (mode, compression) => {
      const out = await tempDir(`large-${mode}`);
      const args = ['local', '--model', 'cnn-large', '--mode', mode, '--staleness', '1', '--compression', compression, '--workers', '2'];
      const r = await runDtrain([...args, '--epochs', '1', '--batch-size', String(BATCH), '--train-limit', String(TRAIN), '--test-limit', '50', '--seed', String(SEED), '--out', out, '--json', '--no-dashboard'], 150_000);
      expect(r.code).toBe(0);
      expect(r.json).toMatchObject({ model: 'cnn-large', mode, compression, train_samples: TRAIN, workers: 2 });
      expect(Number.isFinite(r.json['test_loss'])).toBe(true);
      // The step-time breakdown's CPU: the server's own (≥ 2 steps ran); a worker's once a heartbeat followed its second step.
      expect(r.json['server_cpu_ms_per_step']).toBeGreaterThan(0);
      for (const w of r.json['worker_stats'] as { cpu_ms_per_step: number | null }[]) if (w.cpu_ms_per_step !== null) expect(w.cpu_ms_per_step).toBeGreaterThan(0);
      const applied = await readAppliedLog(out);
      expect(new Set(applied.map((a) => a.workerId)).size).toBe(2);
      if (mode === 'ssp') expect(Math.max(...applied.map((a) => a.staleness))).toBeLessThanOrEqual(1);
      const saved = await loadModel(out);
      const trained = getFlatWeights(saved.model);
      saved.model.dispose();
      expect(trained.length).toBe(parameterCount(modelConfig('cnn-large')));
      const fresh = buildModel(modelConfig('cnn-large'), { seed: SEED });
      const initial = getFlatWeights(fresh);
      fresh.dispose();
      expect(trained.some((w, i) => w !== initial[i])).toBe(true);
    },
    150_000,
  );
});
