import { describe, expect, it } from 'vitest';
import { useContainerSuite } from '../support/container-suite';
import { containerSuiteGate } from '../support/docker-available';
import { waitForVersion } from '../support/dtrain-containers';
import { SCENARIO_ACCURACY_FLOOR, SCENARIO_FLAGS, SCENARIO_STEPS } from './scenario';

const gate = await containerSuiteGate();

/** Exit code of a container killed with SIGKILL (128 + 9). */
const KILLED = 137;

describe.runIf(gate.run)('a worker container dies mid-run', () => {
  const scenario = useContainerSuite(gate.client!, 'worker-loss');
  const { started } = scenario;

  it('and the other two finish the run', async () => {
    const cluster = await scenario.suite.cluster();
    // A killed process sends no goodbye: a short heartbeat timeout declares it lost quickly.
    const server = await cluster.startServer({ flags: SCENARIO_FLAGS, extraArgs: ['--heartbeat-timeout-ms', '4000'] });
    started.push(server);
    const workers = await Promise.all([1, 2, 3].map((i) => cluster.startWorker(`worker-${i}`)));
    started.push(...workers);

    const at = await waitForVersion(server, SCENARIO_STEPS / 4, 120_000);
    expect(at).toBeLessThan(SCENARIO_STEPS);
    await cluster.kill(workers[1]!);

    expect(await cluster.waitForExit(server, 180_000)).toBe(0);
    const codes = await Promise.all(workers.map((w) => cluster.waitForExit(w, 30_000)));
    const s = await cluster.summary(server);
    process.stderr.write(`[worker-loss] killed worker-2 at version ${at}; run finished: acc ${s.test_accuracy}, ${s.steps} steps, version ${s.version}\n`);

    expect(codes).toEqual([0, KILLED, 0]);
    expect(s.workers).toBe(3);
    // Its unfinished share is re-homed to the survivors, so the epochs still cover every sample.
    expect(s.version).toBeGreaterThanOrEqual(SCENARIO_STEPS);
    expect(s.test_accuracy).toBeGreaterThanOrEqual(SCENARIO_ACCURACY_FLOOR);
  });
});
