import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerSuite } from '../support/container-suite';
import { openContainerSuite } from '../support/container-suite';
import { containerSuiteGate } from '../support/docker-available';
import { runOnce } from '../support/run-once';
import type { RunOnceOptions } from '../support/run-once';
import { parseRunSummary } from '../support/run-summary';
import type { BuiltImage } from '../support/build-images';
import { buildDtrainImage } from '../support/build-images';
import { TEST_WORKER_IMAGE_TAG } from '../support/constants';

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

  it('carries the browser worker prebuilt, and no bundler', async () => {
    const probe = "const fs = require('node:fs'); process.stdout.write(JSON.stringify({ bundle: fs.statSync('/app/libs/browser-worker/dist/worker.js').size > 100000, esbuild: fs.existsSync('/app/node_modules/esbuild') }))";
    const r = await run(['-e', probe], { entrypoint: ['node'] });
    expect(JSON.parse(r.stdout)).toEqual({ bundle: true, esbuild: false });
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

describe.runIf(gate.run)('the worker image (apps/worker alone)', () => {
  let suite: ContainerSuite;
  let worker: BuiltImage;
  const run = (cmd: string[], opts?: RunOnceOptions) => runOnce(suite.client, suite.janitor, worker.tag, cmd, opts);

  beforeAll(async () => {
    suite = await openContainerSuite(gate.client!, 'worker-image');
    worker = await buildDtrainImage(suite.client, { app: 'worker', tag: TEST_WORKER_IMAGE_TAG, base: suite.image.base });
    process.stderr.write(
      `[image] ${worker.tag}: app layers ${((worker.sizeBytes - worker.baseSizeBytes) / 1e6).toFixed(0)} MB ` +
        `(the whole program's: ${((suite.image.sizeBytes - suite.image.baseSizeBytes) / 1e6).toFixed(0)} MB)\n`,
    );
  });

  afterAll(async () => {
    await suite?.janitor.dispose();
  });

  it('holds no parameter-server code and none of the packages only the server loads', async () => {
    const probe = [
      "const fs = require('node:fs');",
      "const has = (p) => fs.existsSync('/app/' + p + '/src');",
      "const pkg = (p) => fs.existsSync('/app/node_modules/' + p);",
      "process.stdout.write(JSON.stringify({ coordinator: has('libs/coordinator'), telemetry: has('libs/telemetry'), serverRuntime: has('libs/server-runtime'), cli: has('apps/cli'), workerRuntime: has('libs/worker-runtime'), promClient: pkg('prom-client'), tfjs: pkg('@tensorflow/tfjs') }));",
    ].join(' ');
    const r = await run(['-e', probe], { entrypoint: ['node'] });
    expect(JSON.parse(r.stdout)).toEqual({ coordinator: false, telemetry: false, serverRuntime: false, cli: false, workerRuntime: true, promClient: false, tfjs: true });
  });

  it('takes the command line dtrain worker takes, with or without the leading worker', async () => {
    for (const cmd of [['worker', '--help'], ['--help']]) {
      const r = await run(cmd);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain('Usage: dtrain-worker');
    }
    // Server flags are not in it: usage error, exit code 2.
    const server = await run(['--server', 'ws://server:7070', '--port', '7070']);
    expect(server.exitCode).toBe(2);
    expect(server.stderr).toContain("unknown option '--port'");
  });
});
