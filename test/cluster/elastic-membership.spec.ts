import { afterEach, describe, expect, it } from 'vitest';
import type { DtrainProcess } from './cluster-harness';
import { Cluster, SMALL_RUN, auditAppliedLog, eventually, readAppliedLog, readWorkersFile, readyz } from './cluster-harness';

const BASE = [...SMALL_RUN, '--test-limit', '500', '--json', '--log-level', 'info'];

async function versionAtLeast(port: number, v: number, what: string): Promise<number> {
  const r = await eventually(async () => {
    const x = await readyz(port);
    return x && x.version >= v ? x : undefined;
  }, 180_000, what, 20);
  return r.version;
}

function logged(proc: DtrainProcess, msg: string, worker: string, times = 1): Promise<Record<string, unknown>> {
  return eventually(() => proc.logs(msg).filter((l) => l['worker'] === worker)[times - 1], 120_000, `"${msg}" for ${worker} (×${times})`);
}

/** The run's own proof: no duplicate (worker, step), each epoch's samples applied exactly once. */
async function expectExactlyOnce(out: string, train: number, epochs: number): Promise<void> {
  const audit = auditAppliedLog(await readAppliedLog(out));
  expect(audit.duplicateKeys).toEqual([]);
  expect(audit.samplesPerEpoch).toEqual(Object.fromEntries(Array.from({ length: epochs }, (_, e) => [e, train])));
  const { coverage } = await readWorkersFile(out);
  expect(coverage.map((c) => [c.missed, c.repeated])).toEqual(Array.from({ length: epochs }, () => [0, 0]));
}

describe('elastic membership and stragglers (real processes)', () => {
  const cluster = new Cluster();
  afterEach(() => cluster.cleanup());

  it('a worker started late joins and gets a share; one stopped with SIGTERM leaves; the run finishes with the planned steps', async () => {
    const TRAIN = 3000;
    const out = await cluster.tempDir('elastic');
    const s = await cluster.server([...BASE, '--workers', '2', '--epochs', '2', '--train-limit', String(TRAIN), '--out', out]);
    const [w1, w2] = ['w1', 'w2'].map((id) => cluster.worker(s.url, id)) as [DtrainProcess, DtrainProcess];
    await versionAtLeast(s.port, 3, 'three steps with two workers');
    const w3 = cluster.worker(s.url, 'w3');
    await logged(s.proc, 'worker joined', 'w3');
    const joinedAt = (await readyz(s.port))!.version;
    await versionAtLeast(s.port, joinedAt + 4, 'four steps with three workers');
    w1.kill('SIGTERM');
    expect((await w1.exit(30_000)).code).toBe(0);
    expect(w1.lastJson()['reason']).toBe('stopped');
    await logged(s.proc, 'worker left', 'w1');

    expect((await s.proc.exit(240_000)).code).toBe(0);
    for (const w of [w2, w3]) {
      expect((await w.exit(30_000)).code).toBe(0);
      expect(w.lastJson()['reason']).toBe('finished');
    }
    const applied = await readAppliedLog(out);
    const late = applied.filter((a) => a.workerId === 'w3');
    expect(late.length).toBeGreaterThan(3);
    // It computed against the weights current when it joined, not the initial ones.
    expect(Math.min(...late.map((a) => a.baseVersion))).toBeGreaterThanOrEqual(joinedAt);
    expect(applied.filter((a) => a.workerId === 'w1').length).toBeGreaterThan(0);
    const rows = (await readWorkersFile(out)).workers;
    expect(Object.fromEntries(rows.map((r) => [r.workerId, r.state]))).toEqual({ w1: 'left', w2: 'active', w3: 'active' });
    // Two shards of 1500, 64 from each per step: 24 steps an epoch whoever computes them.
    expect(s.proc.lastJson()['steps']).toBe(2 * Math.ceil(TRAIN / 2 / 64));
    await expectExactlyOnce(out, TRAIN, 2);
  });

  it('a worker that stops answering is lost after the heartbeat timeout, training goes on, and it rejoins when it comes back', async () => {
    const TRAIN = 3000;
    const out = await cluster.tempDir('heartbeat');
    const s = await cluster.server([...BASE, '--workers', '2', '--epochs', '1', '--train-limit', String(TRAIN), '--heartbeat-timeout-ms', '4000', '--out', out]);
    const [w1, w2] = ['w1', 'w2'].map((id) => cluster.worker(s.url, id)) as [DtrainProcess, DtrainProcess];
    await versionAtLeast(s.port, 3, 'three steps');
    w2.kill('SIGSTOP');
    const lost = await logged(s.proc, 'worker lost', 'w2');
    expect(String(lost['reason'])).toMatch(/no frame for \d+ ms/);
    const lostAt = (await readyz(s.port))!.version;
    await versionAtLeast(s.port, lostAt + 2, 'two steps without w2');
    w2.kill('SIGCONT');
    await logged(s.proc, 'worker joined', 'w2', 2);

    expect((await s.proc.exit(240_000)).code).toBe(0);
    for (const w of [w1, w2]) expect((await w.exit(30_000)).code).toBe(0);
    expect(w2.lastJson()['connections'] as number).toBeGreaterThanOrEqual(2);
    expect(s.proc.lastJson()['steps']).toBe(Math.ceil(TRAIN / 2 / 64));
    await expectExactlyOnce(out, TRAIN, 1);
  });

  it('--backup-workers 1: steps complete without the straggler, its late pushes are dropped and counted, its samples still applied', async () => {
    // Long enough (40 steps, ~3 s even on a quiet machine with the SIMD kernels) that the
    // straggler's pushes (start-up + 1.5 s each) arrive while the run still goes on.
    const TRAIN = 7680;
    const out = await cluster.tempDir('backup');
    const s = await cluster.server([...BASE, '--workers', '3', '--backup-workers', '1', '--epochs', '1', '--train-limit', String(TRAIN), '--out', out]);
    const workers = [cluster.worker(s.url, 'fast1'), cluster.worker(s.url, 'fast2'), cluster.worker(s.url, 'slow', ['--slow-ms', '1500'])];
    expect((await s.proc.exit(240_000)).code).toBe(0);
    for (const w of workers) expect((await w.exit(30_000)).code).toBe(0);
    const summary = s.proc.lastJson();
    expect(summary['dropped_pushes'] as number).toBeGreaterThan(0);
    const rows = Object.fromEntries((await readWorkersFile(out)).workers.map((r) => [r.workerId, r]));
    expect(rows['slow']!.dropped).toBe(summary['dropped_pushes']);
    expect(rows['fast1']!.dropped + rows['fast2']!.dropped).toBe(0);
    // Per-worker step times are recorded: the straggler's are the slow ones.
    expect(rows['slow']!.meanStepMs).toBeGreaterThan(1500);
    expect(rows['slow']!.meanStepMs).toBeGreaterThan(2 * rows['fast1']!.meanStepMs);
    console.info(`backup-workers: dropped ${String(summary['dropped_pushes'])} pushes; mean step ms fast1 ${rows['fast1']!.meanStepMs}, fast2 ${rows['fast2']!.meanStepMs}, slow ${rows['slow']!.meanStepMs}`);
    await expectExactlyOnce(out, TRAIN, 1);
  });
});
