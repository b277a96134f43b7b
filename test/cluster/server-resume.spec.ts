import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, SMALL_RUN, auditAppliedLog, eventually, freePort, readAppliedLog, readWorkersFile, readyz } from './cluster-harness';

const TRAIN = 2000;
const CHECKPOINT_EVERY = 4;
const TOKEN = 'resume-test-token';
/** Two shards of 1000 samples, 64 from each per step: 16 steps per epoch whatever happens. */
const STEPS_PER_EPOCH = Math.ceil(TRAIN / 2 / 64);

describe('losing the server (real processes)', () => {
  const cluster = new Cluster();
  afterEach(() => cluster.cleanup());

  it('kill -9 of the server, then `dtrain server --resume DIR`: workers reconnect by themselves, at most one checkpoint interval is redone', async () => {
    const port = await freePort();
    const ckpt = await cluster.tempDir('ckpt');
    const out = await cluster.tempDir('out');
    const args = [...SMALL_RUN, '--port', String(port), '--workers', '2', '--epochs', '2', '--train-limit', String(TRAIN), '--test-limit', '500', '--token', TOKEN, '--checkpoint-every', String(CHECKPOINT_EVERY), '--checkpoint-seconds', '0', '--log-level', 'info'];
    const first = await cluster.server([...args, '--checkpoint-dir', ckpt], 'server-1');
    const env = { DTRAIN_TOKEN: TOKEN };
    const workers = ['w1', 'w2'].map((id) => cluster.worker(first.url, id, ['--give-up-ms', '120000'], env));
    // Mid-run and mid-epoch: in the second epoch, between two checkpoints.
    const before = await eventually(async () => {
      const r = await readyz(port);
      return r && r.epoch === 1 && r.version >= STEPS_PER_EPOCH + CHECKPOINT_EVERY + 1 ? r : undefined;
    }, 180_000, 'the second epoch', 20);
    first.proc.kill('SIGKILL');
    await first.proc.exited;
    // A torn newer checkpoint (a crash mid-write without our atomic rename) must be skipped with a warning.
    await writeFile(join(ckpt, 'checkpoint-999999999999.bin'), Buffer.from('DTCKPT1\n torn'));

    const second = await cluster.server([...args, '--resume', ckpt, '--out', out, '--json'], 'server-2');
    expect(second.port).toBe(port);
    expect((await second.proc.exit(240_000)).code).toBe(0);
    const summary = second.proc.lastJson();
    for (const w of workers) expect((await w.exit(30_000)).code).toBe(0);

    expect(second.proc.logs('skipping unreadable checkpoint')).toHaveLength(1);
    const resumed = second.proc.logs('resuming from checkpoint')[0];
    expect(resumed).toBeDefined();
    const resumedVersion = resumed!['version'] as number;
    const redone = before.version - resumedVersion;
    console.info(`server-resume: killed at version ${before.version}, resumed from ${resumedVersion}: ${redone} step(s) redone (interval ${CHECKPOINT_EVERY})`);
    expect(redone).toBeGreaterThanOrEqual(0);
    expect(redone).toBeLessThanOrEqual(CHECKPOINT_EVERY);

    // The workers found the new server on their own and finished with it.
    for (const w of workers) {
      const r = w.lastJson();
      expect(r['reason']).toBe('finished');
      expect(r['connections'] as number).toBeGreaterThanOrEqual(2);
    }
    // The run as a whole: every update once, every sample of each epoch applied exactly once.
    expect(summary['version']).toBe(2 * STEPS_PER_EPOCH);
    const audit = auditAppliedLog(await readAppliedLog(out));
    expect(audit.duplicateKeys).toEqual([]);
    expect(audit.samplesPerEpoch).toEqual({ 0: TRAIN, 1: TRAIN });
    const { coverage } = await readWorkersFile(out);
    expect(coverage.every((c) => c.missed === 0 && c.repeated === 0)).toBe(true);
    expect(coverage).toHaveLength(2);
    expect((await readdir(ckpt)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('a sharded run resumed with another number of shards: the same workers carry on, their sessions cut anew, every sample once', async () => {
    const port = await freePort();
    const ckpt = await cluster.tempDir('ckpt-shards');
    const out = await cluster.tempDir('out-shards');
    const env = { DTRAIN_TOKEN: 'resume-shards-token-0123456789' };
    const shard = async (i: number): Promise<string> => {
      const p = cluster.spawn(`shard-${i}`, ['shard', '--port', '0', '--log-level', 'warn'], env);
      return `ws://127.0.0.1:${(await p.waitFor(/\(port (\d+)\)/, 60_000))[1]}`;
    };
    const urls = [await shard(1), await shard(2), await shard(3)];
    const args = [...SMALL_RUN, '--port', String(port), '--workers', '2', '--epochs', '2', '--train-limit', String(TRAIN), '--test-limit', '300', '--checkpoint-every', String(CHECKPOINT_EVERY), '--checkpoint-seconds', '0', '--log-level', 'info'];
    const first = await cluster.server([...args, '--checkpoint-dir', ckpt, '--shards', urls.slice(0, 2).join(',')], 'sharded-server-1', env);
    const workers = ['s1', 's2'].map((id) => cluster.worker(first.url, id, ['--give-up-ms', '120000'], env));
    await eventually(async () => {
      const r = await readyz(port);
      return r && r.epoch === 1 && r.version >= STEPS_PER_EPOCH + CHECKPOINT_EVERY + 1 ? r : undefined;
    }, 180_000, 'the second epoch', 20);
    first.proc.kill('SIGKILL');
    await first.proc.exited;

    // The checkpoint is the whole model at one version: three shards take it up where two left it.
    const second = await cluster.server([...args, '--resume', ckpt, '--out', out, '--json', '--shards', urls.join(',')], 'sharded-server-2', env);
    expect((await second.proc.exit(240_000)).code).toBe(0);
    const summary = second.proc.lastJson();
    expect(summary['servers']).toBe(3);
    for (const w of workers) {
      expect((await w.exit(30_000)).code).toBe(0);
      expect(w.logs('the run is sliced otherwise now: starting the session afresh').length).toBeGreaterThanOrEqual(1);
      expect(w.lastJson()['reason']).toBe('finished');
    }
    expect(summary['version']).toBe(2 * STEPS_PER_EPOCH);
    const audit = auditAppliedLog(await readAppliedLog(out));
    expect(audit.duplicateKeys).toEqual([]);
    expect(audit.samplesPerEpoch).toEqual({ 0: TRAIN, 1: TRAIN });
  });

  it('ASP checkpoints mid-epoch too: resume continues with in-flight batches put back, every sample applied once', async () => {
    const port = await freePort();
    const ckpt = await cluster.tempDir('ckpt-asp');
    const out = await cluster.tempDir('out-asp');
    const args = [...SMALL_RUN, '--mode', 'asp', '--port', String(port), '--workers', '2', '--epochs', '1', '--train-limit', String(TRAIN), '--test-limit', '300', '--token', TOKEN, '--checkpoint-every', String(CHECKPOINT_EVERY), '--checkpoint-seconds', '0', '--log-level', 'info'];
    const first = await cluster.server([...args, '--checkpoint-dir', ckpt], 'asp-server-1');
    const workers = ['a1', 'a2'].map((id) => cluster.worker(first.url, id, ['--give-up-ms', '120000'], { DTRAIN_TOKEN: TOKEN }));
    const before = await eventually(async () => {
      const r = await readyz(port);
      return r && r.version >= 12 ? r : undefined;
    }, 180_000, 'twelve ASP updates', 20);
    first.proc.kill('SIGKILL');
    await first.proc.exited;
    const second = await cluster.server([...args, '--resume', ckpt, '--out', out, '--json'], 'asp-server-2');
    expect((await second.proc.exit(240_000)).code).toBe(0);
    for (const w of workers) expect((await w.exit(30_000)).code).toBe(0);
    const resumedVersion = second.proc.logs('resuming from checkpoint')[0]!['version'] as number;
    // ASP does not pause for a checkpoint write, so updates that land during the write may also be redone.
    console.info(`server-resume (asp): killed at version ${before.version}, resumed from ${resumedVersion}`);
    expect(resumedVersion).toBeGreaterThan(0);
    expect(before.version - resumedVersion).toBeLessThanOrEqual(2 * CHECKPOINT_EVERY);
    const audit = auditAppliedLog(await readAppliedLog(out));
    expect(audit.duplicateKeys).toEqual([]);
    expect(audit.samplesPerEpoch).toEqual({ 0: TRAIN });
    expect((await readWorkersFile(out)).coverage).toEqual([expect.objectContaining({ missed: 0, repeated: 0, applied: TRAIN })]);
  });
});
