import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { auditAppliedLog } from '../support/applied-log';
import { killChildren, readAppliedLog, removeTempDirs, runDtrain, tempDir } from './cluster-harness';

afterEach(killChildren);
afterAll(removeTempDirs);

const TRAIN = 1024;
const COMMON = ['--dataset', 'mnist-subset', '--train-limit', String(TRAIN), '--test-limit', '300', '--epochs', '2', '--seed', '11', '--json', '--no-dashboard'];

/**
 * Sharded parameter servers (`dtrain local --servers K`: K `dtrain shard` processes, each a key range
 * of the weights with its own optimizer state, and a coordinator that moves no tensor bytes).
 */
describe('sharded parameter servers, real processes', () => {
  it(
    'BSP with 2 shards trains the very weights one server trains (same checksum, same accuracy), each shard carrying about half the bytes',
    async () => {
      const one = await runDtrain(['local', '--workers', '2', '--servers', '1', ...COMMON, '--out', await tempDir('shards-1')], 180_000);
      const two = await runDtrain(['local', '--workers', '2', '--servers', '2', ...COMMON, '--out', await tempDir('shards-2')], 180_000);
      expect(one.code, one.stderr.join('\n')).toBe(0);
      expect(two.code, two.stderr.join('\n')).toBe(0);
      expect(two.json).toMatchObject({ servers: 2, steps: one.json['steps'], version: one.json['version'] });
      expect(two.json['weights_checksum']).toBe(one.json['weights_checksum']);
      expect(two.json['test_accuracy']).toBe(one.json['test_accuracy']);
      expect(one.json['server_bytes_per_step']).toHaveLength(1);
      const perShard = two.json['server_bytes_per_step'] as number[];
      expect(perShard).toHaveLength(2);
      // Balanced key ranges: each shard's link carries about half of what the one server's did.
      const single = (one.json['server_bytes_per_step'] as number[])[0]!;
      for (const b of perShard) {
        expect(b / single).toBeGreaterThan(0.4);
        expect(b / single).toBeLessThan(0.6);
      }
      // The coordinator's own traffic is headers, work and acks: no tensors.
      expect(two.json['coordinator_bytes_per_step'] as number).toBeLessThan(single / 100);
    },
    400_000,
  );

  it(
    'SSP with int4 gradients and int2 weights across 3 shards applies every sample of every epoch exactly once',
    async () => {
      const out = await tempDir('shards-ssp');
      const r = await runDtrain(['local', '--workers', '2', '--servers', '3', '--mode', 'ssp', '--staleness', '2', '--compression', 'int4', '--weights-compression', 'int2', ...COMMON, '--out', out], 240_000);
      expect(r.code, r.stderr.join('\n')).toBe(0);
      expect(r.json).toMatchObject({ servers: 3, train_samples: 2 * TRAIN, compression: 'int4', weights_compression: 'int2' });
      expect(r.json['server_bytes_per_step']).toHaveLength(3);
      // Far above chance (10 %) after two short epochs: the shards' updates are real training.
      expect(r.json['test_accuracy'] as number).toBeGreaterThan(0.6);
      const audit = auditAppliedLog(await readAppliedLog(out));
      expect(audit.duplicateKeys).toEqual([]);
      expect(audit.samplesPerEpoch).toEqual({ 0: TRAIN, 1: TRAIN });
    },
    300_000,
  );

  it('refuses --servers with --shards, and an unreachable shard with a coded error', async () => {
    const both = await runDtrain(['local', '--workers', '1', '--servers', '2', '--shards', 'ws://127.0.0.1:9', ...COMMON], 60_000);
    expect(both.code).toBe(2);
    expect(both.stderr.join('\n')).toMatch(/--servers N .* or --shards URLS, not both/);
    const gone = await runDtrain(['server', '--workers', '1', '--shards', 'ws://127.0.0.1:9', '--shard-connect-timeout-ms', '2000', ...COMMON.filter((a) => a !== '--no-dashboard')], 60_000);
    expect(gone.code).toBe(1);
    expect(gone.stderr.join('\n')).toContain('PS_ERR_SHARD_LOST');
  }, 120_000);
});
