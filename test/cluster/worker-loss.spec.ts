import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, SMALL_RUN, auditAppliedLog, eventually, readAppliedLog, readWorkersFile, readyz } from './cluster-harness';

const TRAIN = 2000;
const EPOCHS = 2;
/** kill -9 closes the socket, so the loss is seen at once; a long heartbeat timeout keeps a loaded machine from adding false losses. */
const RUN = [...SMALL_RUN, '--workers', '3', '--epochs', String(EPOCHS), '--train-limit', String(TRAIN), '--test-limit', '1000', '--heartbeat-timeout-ms', '30000', '--json', '--log-level', 'info'];
const IDS = ['w1', 'w2', 'w3'];

describe('losing a worker (real processes)', () => {
  const cluster = new Cluster();
  afterEach(() => cluster.cleanup());

  it('kill -9 of one of three workers mid-epoch: the run completes as accurate as a clean one, every sample applied exactly once', async () => {
    const cleanOut = await cluster.tempDir('clean');
    const clean = await cluster.server([...RUN, '--out', cleanOut], 'clean-server');
    const cleanWorkers = IDS.map((id) => cluster.worker(clean.url, id));
    expect((await clean.proc.exit(240_000)).code).toBe(0);
    const cleanSummary = clean.proc.lastJson();
    await Promise.all(cleanWorkers.map((w) => w.exit(30_000)));

    const out = await cluster.tempDir('killed');
    const run = await cluster.server([...RUN, '--out', out], 'server');
    const workers = IDS.map((id) => cluster.worker(run.url, id));
    // Mid-epoch: a few steps into the first epoch, so the rest of the run has one worker fewer.
    const atKill = await eventually(async () => {
      const r = await readyz(run.port);
      return r && r.version >= 4 ? r : undefined;
    }, 180_000, 'four applied steps', 20);
    workers[2]!.kill('SIGKILL');
    expect((await run.proc.exit(240_000)).code).toBe(0);
    const summary = run.proc.lastJson();
    for (const w of workers.slice(0, 2)) expect((await w.exit(30_000)).code).toBe(0);
    expect((await workers[2]!.exited).signal).toBe('SIGKILL');

    const lost = run.proc.logs('worker lost');
    expect(lost.map((l) => l['worker'])).toEqual(['w3']);
    expect(atKill.epoch).toBe(0);

    // No gradient applied twice, and every training sample of each epoch applied exactly once.
    const applied = await readAppliedLog(out);
    const audit = auditAppliedLog(applied);
    expect(audit.duplicateKeys).toEqual([]);
    expect(audit.samplesPerEpoch).toEqual({ 0: TRAIN, 1: TRAIN });
    const { coverage, workers: rows } = await readWorkersFile(out);
    expect(coverage.map((c) => ({ missed: c.missed, repeated: c.repeated, applied: c.applied }))).toEqual([
      { missed: 0, repeated: 0, applied: TRAIN },
      { missed: 0, repeated: 0, applied: TRAIN },
    ]);
    expect(rows.find((r) => r.workerId === 'w3')?.state).toBe('lost');
    expect(applied.filter((a) => a.workerId === 'w3').length).toBeGreaterThan(0);

    // The fixed global batch keeps the optimisation of the clean run: same steps, accuracy within 0.5 pt.
    expect(summary['steps']).toBe(cleanSummary['steps']);
    const acc = summary['test_accuracy'] as number;
    const cleanAcc = cleanSummary['test_accuracy'] as number;
    console.info(`worker-loss: clean accuracy ${cleanAcc}, kill -9 accuracy ${acc}, killed at version ${atKill.version}, steps ${String(summary['steps'])}`);
    expect(Math.abs(acc - cleanAcc)).toBeLessThanOrEqual(0.005);
  });
});
