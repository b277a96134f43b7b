import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeCommand } from '../support/compose-command';
import type { ContainerSuite } from '../support/container-suite';
import { openContainerSuite } from '../support/container-suite';
import { REPO_ROOT } from '../support/constants';
import { containerSuiteGate } from '../support/docker-available';
import { containerOutput } from '../support/docker-logs';
import { runOnce } from '../support/run-once';
import { parseRunSummary } from '../support/run-summary';

const run = promisify(execFile);
const gate = await containerSuiteGate();
const compose = gate.run ? await composeCommand() : undefined;
if (gate.run && !compose && process.env['CI'] === 'true') throw new Error('CI=true but neither `docker compose` nor `docker-compose` works');

const COMPOSE_DIR = join(REPO_ROOT, 'deploy/compose');

/** `dtrain local --workers 2 --epochs 1 --train-limit 2000 --test-limit 500` reaches 0.784 (seed 42). */
const ACCURACY_FLOOR = 0.74;

describe.runIf(gate.run && compose !== undefined)('deploy/compose: one server and `--scale worker=2`', () => {
  let suite: ContainerSuite;
  let envDir: string;
  const project = `dtrain-it-compose-${randomBytes(4).toString('hex')}`;
  /** The sharded variant (compose.shards.yaml on top), as its own project: its own volume and network. */
  const shardedProject = `${project}-shards`;
  const SHARDED_FILES = ['compose.yaml', 'compose.shards.yaml'];

  const dcIn = (proj: string, files: string[], args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000) =>
    run(compose![0]!, [...compose!.slice(1), '--project-name', proj, ...files.flatMap((f) => ['--file', join(COMPOSE_DIR, f)]), ...args], {
      cwd: COMPOSE_DIR,
      env,
      timeout: timeoutMs,
      maxBuffer: 64 << 20,
    });
  const dc = (args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000) => dcIn(project, ['compose.yaml'], args, env, timeoutMs);

  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    suite = await openContainerSuite(gate.client!, 'compose');
    envDir = await mkdtemp(join(tmpdir(), 'dtrain-compose-'));
    await writeFile(join(envDir, 'dtrain.env'), `DTRAIN_TOKEN=${randomBytes(24).toString('base64url')}\n`);
    env = {
      ...process.env,
      DTRAIN_IMAGE: suite.image.tag,
      DTRAIN_ENV_FILE: join(envDir, 'dtrain.env'),
      DTRAIN_WORKERS: '2',
      DTRAIN_EPOCHS: '1',
      DTRAIN_TRAIN_LIMIT: '2000',
      DTRAIN_TEST_LIMIT: '500',
      // Any free host port: other runs on this machine may hold 7070.
      DTRAIN_PORT: '0',
    };
  });

  afterAll(async () => {
    // down -v: containers, the network and the checkpoint/model volume of this project.
    if (env) await dc(['down', '--volumes', '--remove-orphans'], env).catch((err: Error) => process.stderr.write(`compose down failed: ${err.message}\n`));
    if (env) await dcIn(shardedProject, SHARDED_FILES, ['down', '--volumes', '--remove-orphans'], env).catch((err: Error) => process.stderr.write(`compose down (shards) failed: ${err.message}\n`));
    if (envDir) await rm(envDir, { recursive: true, force: true });
    await suite?.janitor.dispose();
  });

  it('trains, every container exits 0, and the model is in the volume', async () => {
    await dc(['config', '--quiet'], env);
    const t0 = performance.now();
    // Attached `up` returns once every container has exited.
    await dc(['up', '--scale', 'worker=2', '--no-color'], env, 5 * 60_000);
    const wallMs = performance.now() - t0;

    const docker = suite.client.container.dockerode;
    const containers = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`com.docker.compose.project=${project}`] }) });
    const states = await Promise.all(containers.map(async (c) => ({ service: c.Labels['com.docker.compose.service'], id: c.Id, exit: (await docker.getContainer(c.Id).inspect()).State.ExitCode })));
    expect(states.map((s) => s.service).sort()).toEqual(['server', 'worker', 'worker']);
    expect(states.map((s) => s.exit)).toEqual([0, 0, 0]);

    const { stdout } = await dc(['logs', '--no-color', 'server'], env);
    const summary = parseRunSummary(stdout.split('\n').map((l) => l.replace(/^[^|]*\|\s?/, '')).join('\n'));
    process.stderr.write(`[compose] ${compose!.join(' ')}: acc ${summary.test_accuracy}, ${summary.workers} workers, ${summary.steps} steps, up→exit ${(wallMs / 1000).toFixed(1)} s\n`);
    expect(summary.workers).toBe(2);
    expect(summary.test_accuracy).toBeGreaterThanOrEqual(ACCURACY_FLOOR);

    // The saved model is usable from the volume by another container.
    const evalRun = await runOnce(suite.client, suite.janitor, suite.image.tag, ['eval', '--from', '/data/model', '--test-limit', '500', '--json'], {
      binds: [`${project}_dtrain-data:/data`],
    });
    expect(evalRun.exitCode, evalRun.stderr).toBe(0);
    expect(JSON.parse(evalRun.stdout.trim().split('\n').pop()!).test_accuracy).toBeCloseTo(summary.test_accuracy, 2);
  });

  it('with compose.shards.yaml: the server coordinates 2 shard containers, trains to the same accuracy, exits 0', async () => {
    await dcIn(shardedProject, SHARDED_FILES, ['config', '--quiet'], env);
    const t0 = performance.now();
    // Detached: the shards never exit by themselves (they wait for a coordinator), so an attached
    // `up` would not return; the server and the workers exiting is the end of the run.
    await dcIn(shardedProject, SHARDED_FILES, ['up', '--detach', '--scale', 'worker=2', '--no-color'], env, 2 * 60_000);
    const docker = suite.client.container.dockerode;
    const list = async () =>
      Promise.all(
        (await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`com.docker.compose.project=${shardedProject}`] }) })).map(async (c) => {
          const info = await docker.getContainer(c.Id).inspect();
          return { service: c.Labels['com.docker.compose.service']!, id: c.Id, state: info.State, restarts: info.RestartCount };
        }),
      );
    const deadline = Date.now() + 4 * 60_000;
    let states = await list();
    while (states.some((s) => (s.service === 'server' || s.service === 'worker') && s.state.Running)) {
      if (Date.now() > deadline) throw new Error(`sharded run still going after 4 min: ${JSON.stringify(states.map((s) => [s.service, s.state.Status]))}`);
      await new Promise((r) => setTimeout(r, 500));
      states = await list();
    }
    const wallMs = performance.now() - t0;
    expect(states.map((s) => s.service).sort()).toEqual(['server', 'shard-1', 'shard-2', 'worker', 'worker']);
    const server = states.find((s) => s.service === 'server')!;
    const { stdout, stderr } = await containerOutput(docker.getContainer(server.id));
    expect(server.state.ExitCode, stderr.slice(-3000)).toBe(0);
    expect(states.filter((s) => s.service === 'worker').map((s) => s.state.ExitCode)).toEqual([0, 0]);
    // The shards are still up, waiting for a coordinator, and none had to be restarted.
    expect(states.filter((s) => s.service.startsWith('shard-')).map((s) => [s.state.Running, s.restarts])).toEqual([
      [true, 0],
      [true, 0],
    ]);
    expect(server.restarts).toBe(0);
    const ready = stderr.split('\n').find((l) => l.includes('"parameter shards ready"'));
    expect(ready && (JSON.parse(ready) as { shards: number }).shards).toBe(2);

    const summary = parseRunSummary(stdout);
    process.stderr.write(`[compose] sharded (2 shards): acc ${summary.test_accuracy}, ${summary.workers} workers, ${summary.steps} steps, up→server exit ${(wallMs / 1000).toFixed(1)} s\n`);
    expect(summary.workers).toBe(2);
    expect(summary.test_accuracy).toBeGreaterThanOrEqual(ACCURACY_FLOOR);
  });
});
