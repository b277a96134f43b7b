import { execFileSync } from 'node:child_process';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { auditAppliedLog } from '../support/applied-log';
import { killChildren, readAppliedLog, removeTempDirs, spawnDtrain, tempDir, until } from './cluster-harness';

afterEach(killChildren);
afterAll(removeTempDirs);

/** The `dtrain shard` processes a `dtrain local --servers N` process started. */
function shardPids(parent: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(parent), '-f', 'dtrain.js shard'], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe('a parameter shard killed mid-run (kill -9)', () => {
  it(
    'is restarted, every shard resumes from the last checkpoint at one version, and the run completes with every sample applied once',
    async () => {
      const out = await tempDir('shard-kill');
      const ckpt = await tempDir('shard-kill-ckpt');
      const c = spawnDtrain([
        'local', '--workers', '2', '--servers', '2', '--dataset', 'mnist-subset', '--train-limit', '6400', '--test-limit', '300', '--epochs', '2',
        '--checkpoint-dir', ckpt, '--checkpoint-every', '8', '--out', out, '--json', '--log-level', 'debug', '--log-format', 'json', '--no-dashboard',
      ]);
      // Mid-epoch, after a checkpoint: the shard's state since then is lost with it.
      await until(() => c.stderr.filter((l) => l.includes('checkpoint written')).length >= 2, 120_000, 'two checkpoints');
      const pids = shardPids(c.child.pid!);
      expect(pids).toHaveLength(2);
      process.kill(pids[0]!, 'SIGKILL');
      const code = await c.exited;
      const log = c.stderr.join('\n');
      expect(code, log.slice(-3000)).toBe(0);
      expect(log).toContain('a shard is gone: suspending the run');
      expect(log).toContain('a parameter shard was lost: resuming from the last checkpoint');
      const summary = JSON.parse(c.stdout.at(-1)!) as Record<string, unknown>;
      expect(summary).toMatchObject({ servers: 2 });
      // The updates made after the checkpoint died with the shard and were made again: the log the
      // resumed run keeps holds each (worker, step) once and each sample of each epoch once.
      const audit = auditAppliedLog(await readAppliedLog(out));
      expect(audit.duplicateKeys).toEqual([]);
      expect(audit.samplesPerEpoch).toEqual({ 0: 6400, 1: 6400 });
      expect(summary['test_accuracy'] as number).toBeGreaterThan(0.8);
    },
    300_000,
  );
});
