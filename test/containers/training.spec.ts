import { describe, expect, it } from 'vitest';
import { useContainerSuite } from '../support/container-suite';
import { containerSuiteGate } from '../support/docker-available';
import { runLocalReference } from '../support/local-run';
import { SCENARIO_FLAGS as FLAGS } from './scenario';
import { buildDtrainImage } from '../support/build-images';
import { TEST_WORKER_IMAGE_TAG } from '../support/constants';

const gate = await containerSuiteGate();

/**
 * How far below the same run under `dtrain local` the containerised run may land. BSP with one
 * seed is deterministic given the membership order, but workers join containers in any order, so
 * shards may be assigned differently; a few points of accuracy covers that, a broken run does not.
 */
const ACCURACY_TOLERANCE = 0.03;

describe.runIf(gate.run)('a server and 3 worker containers on one network (one from the worker-only image)', () => {
  const scenario = useContainerSuite(gate.client!, 'training');
  const { started } = scenario;

  it('train to the accuracy `dtrain local` reaches with the same flags', async () => {
    const local = await runLocalReference(FLAGS);

    // The third worker runs the worker-only image: the same command line, the same run.
    const workerImage = await buildDtrainImage(scenario.suite.client, { app: 'worker', tag: TEST_WORKER_IMAGE_TAG, base: scenario.suite.image.base });
    const cluster = await scenario.suite.cluster();
    const t0 = performance.now();
    const server = await cluster.startServer({ flags: FLAGS });
    started.push(server);
    const workers = await Promise.all([1, 2, 3].map((i) => cluster.startWorker(`worker-${i}`, [], i === 3 ? workerImage.tag : undefined)));
    started.push(...workers);

    expect(await cluster.waitForExit(server, 180_000)).toBe(0);
    const codes = await Promise.all(workers.map((w) => cluster.waitForExit(w, 30_000)));
    const wallMs = performance.now() - t0;
    const s = await cluster.summary(server);
    process.stderr.write(
      `[training] local: acc ${local.test_accuracy} in ${(local.wallMs / 1000).toFixed(1)} s; ` +
        `containers: acc ${s.test_accuracy} in ${(wallMs / 1000).toFixed(1)} s (${s.steps} steps, version ${s.version})\n`,
    );

    expect(codes).toEqual([0, 0, 0]);
    expect(s.workers).toBe(3);
    expect(s.train_samples).toBe(local.train_samples);
    expect(s.version).toBe(local.version);
    expect(s.test_accuracy).toBeGreaterThanOrEqual(local.test_accuracy - ACCURACY_TOLERANCE);
  });
});
