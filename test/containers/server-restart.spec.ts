import type { StartedTestContainer } from 'testcontainers';
import { describe, expect, it } from 'vitest';
import { useContainerSuite } from '../support/container-suite';
import { containerSuiteGate } from '../support/docker-available';
import type { DtrainCluster } from '../support/dtrain-containers';
import { waitForVersion } from '../support/dtrain-containers';
import { SCENARIO_ACCURACY_FLOOR, SCENARIO_FLAGS, SCENARIO_STEPS } from './scenario';

const gate = await containerSuiteGate();

/** Checkpoint often enough that a kill in the middle loses at most a few steps. */
const CHECKPOINT_EVERY = 4;

/** The server's `epoch coverage` log line (one per finished epoch). */
interface Coverage {
  epoch: number;
  expected: number;
  applied: number;
  missed: number;
  repeated: number;
}

/** Mid-way through the first epoch (16 steps) and past a checkpoint: the resume is mid-epoch. */
const KILL_AT_VERSION = 10;

describe.runIf(gate.run)('the server container, restarted on its checkpoint volume while 3 workers train', () => {
  const scenario = useContainerSuite(gate.client!, 'server-restart');
  const { started } = scenario;

  /** Starts a checkpointing server and 3 workers, waits until training is under way. */
  async function startRun(): Promise<{ cluster: DtrainCluster; server: StartedTestContainer; workers: StartedTestContainer[]; at: number }> {
    const cluster = await scenario.suite.cluster();
    const volume = await scenario.suite.janitor.createVolume(`${cluster.network}-data`);
    const server = await cluster.startServer({
      flags: SCENARIO_FLAGS,
      volume,
      extraArgs: ['--checkpoint-dir', '/data/checkpoints', '--checkpoint-every', String(CHECKPOINT_EVERY), '--resume', '--out', '/data/model'],
    });
    started.push(server);
    const workers = await Promise.all([1, 2, 3].map((i) => cluster.startWorker(`worker-${i}`, ['--give-up-ms', '60000'])));
    started.push(...workers);
    const at = await waitForVersion(server, KILL_AT_VERSION, 120_000);
    expect(at).toBeLessThan(SCENARIO_STEPS);
    return { cluster, server, workers, at };
  }

  /** Waits for the end of the run and checks that it is the same run, finished by the same workers. */
  async function finish(name: string, { cluster, server, workers, at }: Awaited<ReturnType<typeof startRun>>) {
    expect(await cluster.waitForExit(server, 180_000)).toBe(0);
    const codes = await Promise.all(workers.map((w) => cluster.waitForExit(w, 30_000)));
    const s = await cluster.summary(server);
    const { stderr } = await cluster.output(server);
    const resumed = stderr
      .split('\n')
      .filter((l) => l.includes('resuming from checkpoint'))
      .map((l) => JSON.parse(l) as { updates: number; version: number });
    const workerRuns = await Promise.all(workers.map(async (w) => JSON.parse((await cluster.output(w)).stdout.trim().split('\n').pop() ?? '{}') as { connections: number; reason: string }));
    process.stderr.write(
      `[server-restart] ${name} at version ${at}, resumed at ${resumed.map((r) => r.updates).join(',')} updates; ` +
        `run finished: acc ${s.test_accuracy}, version ${s.version}; worker connections ${workerRuns.map((r) => r.connections).join(',')}\n`,
    );
    expect(codes).toEqual([0, 0, 0]);
    expect(resumed).toHaveLength(1);
    // The same run to its end: the server's own per-epoch coverage of the resumed process says
    // every training sample was applied exactly once, none missed, none twice.
    const coverage = new Map<number, Coverage>();
    for (const line of stderr.split('\n').filter((l) => l.includes('"epoch coverage"'))) {
      const c = JSON.parse(line) as Coverage;
      coverage.set(c.epoch, c);
    }
    expect([...coverage.keys()].sort()).toEqual(Array.from({ length: SCENARIO_FLAGS.epochs }, (_, i) => i));
    for (const c of coverage.values()) expect(c).toMatchObject({ expected: SCENARIO_FLAGS.trainLimit, applied: SCENARIO_FLAGS.trainLimit, missed: 0, repeated: 0 });
    for (const r of workerRuns) {
      expect(r.reason).toBe('finished');
      expect(r.connections).toBeGreaterThanOrEqual(2);
    }
    expect(s.test_accuracy).toBeGreaterThanOrEqual(SCENARIO_ACCURACY_FLOOR);
    return { ...resumed[0]!, finalVersion: s.version };
  }

  it('crashed (SIGKILL) and started again: resumes from the last periodic checkpoint', async () => {
    const run = await startRun();
    await run.cluster.crashAndRestart(run.server);
    const resumed = await finish('killed', run);
    expect(resumed.updates).toBeGreaterThan(0);
    // A periodic checkpoint, the last before the kill: at least the last one before the version we
    // saw (the server may step on between that poll and docker kill, so it can also be a later one),
    // and one of the run's middle, not its end.
    expect(resumed.updates % CHECKPOINT_EVERY).toBe(0);
    expect(resumed.updates).toBeGreaterThanOrEqual(Math.floor(run.at / CHECKPOINT_EVERY) * CHECKPOINT_EVERY);
    expect(resumed.updates).toBeLessThan(SCENARIO_STEPS);
    // Periodic BSP checkpoints fall between steps, so the redone steps are the same steps.
    expect(resumed.finalVersion).toBe(SCENARIO_STEPS);
  });

  it('restarted gracefully (SIGTERM, as when a pod is rescheduled): checkpoints on the way out, loses no step', async () => {
    const run = await startRun();
    // docker restart: SIGTERM, up to 30 s (testcontainers takes ms) to exit, then start it again.
    await run.server.restart({ timeout: 30_000 });
    const resumed = await finish('restarted', run);
    // The checkpoint written on SIGTERM is at least as new as what we saw before sending it.
    expect(resumed.updates).toBeGreaterThanOrEqual(run.at);
  });
});
