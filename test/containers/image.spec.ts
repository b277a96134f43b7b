import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerSuite } from '../support/container-suite';
import { openContainerSuite } from '../support/container-suite';
import { containerSuiteGate } from '../support/docker-available';
import { runOnce } from '../support/run-once';
import type { RunOnceOptions } from '../support/run-once';
import { parseRunSummary } from '../support/run-summary';

const gate = await containerSuiteGate();

/** The app layers on top of the base must stay small: a dev dependency leaking in would blow this. */
const MAX_APP_LAYER_BYTES = 120e6;

describe.runIf(gate.run)('the dtrain image', () => {
  let suite: ContainerSuite;
  const run = (cmd: string[], opts?: RunOnceOptions) => runOnce(suite.client, suite.janitor, suite.image.tag, cmd, opts);

  beforeAll(async () => {
    suite = await openContainerSuite(gate.client!, 'image');
    const { image } = suite;
    process.stderr.write(
      `[image] ${image.tag} on ${image.base}: ${(image.sizeBytes / 1e6).toFixed(0)} MB ` +
        `(app layers ${((image.sizeBytes - image.baseSizeBytes) / 1e6).toFixed(0)} MB), built in ${(image.buildMs / 1000).toFixed(1)} s\n`,
    );
  });

  afterAll(async () => {
    await suite?.janitor.dispose();
  });

  it('keeps the app layers small', () => {
    expect(suite.image.sizeBytes - suite.image.baseSizeBytes).toBeLessThan(MAX_APP_LAYER_BYTES);
  });

  it('runs as the non-root uid 1000', async () => {
    const r = await run(['-e', 'process.stdout.write(`${process.getuid()}:${process.getgid()}`)'], { entrypoint: ['node'] });
    expect(r.stdout).toBe('1000:1000');
  });

  it('has both commands, server and worker', async () => {
    for (const cmd of ['server', 'worker']) {
      const r = await run([cmd, '--help']);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain(`Usage: dtrain ${cmd}`);
    }
  });

  it('trains on the wasm backend (its .wasm files are in the image) with a read-only root', async () => {
    const r = await run(['train', '--epochs', '1', '--train-limit', '512', '--test-limit', '200', '--json'], { readOnlyRoot: true });
    expect(r.exitCode, r.stderr).toBe(0);
    const s = parseRunSummary(r.stdout);
    expect(s.backend).toBe('wasm');
    expect(s.train_samples).toBe(512);
    // One epoch over 512 samples already beats chance (0.1) by far: the point is that it learned.
    expect(s.test_accuracy).toBeGreaterThan(0.3);
  });
});
