import { randomBytes } from 'node:crypto';
import type { StartedTestContainer } from 'testcontainers';
import type { ContainerRuntimeClient } from 'testcontainers';
import { GenericContainer, Wait } from 'testcontainers';
import { LABEL_OWNER_PID, SERVER_ALIAS, SERVER_PORT } from './constants';
import { containerOutput } from './docker-logs';
import type { DockerJanitor } from './docker-janitor';
import { ownerLabels } from './docker-janitor';
import type { RunFlags } from './run-flags';
import { runArgs } from './run-flags';
import type { RunSummary } from './run-summary';
import { parseRunSummary } from './run-summary';

/** How long the server may take to answer /healthz after its container starts (tsx compiles on start). */
const SERVER_START_TIMEOUT_MS = 60_000;

export interface ServerSpec {
  flags: RunFlags;
  /** Named volume mounted at /data (checkpoints, model). */
  volume?: string;
  extraArgs?: string[];
}

/**
 * A dtrain cluster on one user-defined Docker network: a server reachable as ws://server:7070 and
 * workers that dial it, all sharing one random token, all tracked by the janitor.
 */
export class DtrainCluster {
  readonly token = randomBytes(24).toString('base64url');

  constructor(
    private readonly client: ContainerRuntimeClient,
    private readonly janitor: DockerJanitor,
    readonly image: string,
    readonly network: string,
  ) {}

  private base(name: string, image = this.image): GenericContainer {
    return new GenericContainer(image)
      .withName(`${this.network}-${name}`)
      .withNetworkMode(this.network)
      .withEnvironment({ DTRAIN_TOKEN: this.token })
      .withLabels(ownerLabels());
  }

  async startServer(spec: ServerSpec): Promise<StartedTestContainer> {
    const args = ['server', '--port', String(SERVER_PORT), ...runArgs(spec.flags), '--json', '--log-level', 'info', ...(spec.extraArgs ?? [])];
    let c = this.base('server')
      .withNetworkAliases(SERVER_ALIAS)
      .withCommand(args)
      .withExposedPorts(SERVER_PORT)
      .withWaitStrategy(Wait.forHttp('/healthz', SERVER_PORT).forStatusCode(200))
      .withStartupTimeout(SERVER_START_TIMEOUT_MS);
    if (spec.volume) c = c.withBindMounts([{ source: spec.volume, target: '/data', mode: 'rw' }]);
    return this.track(c);
  }

  /** A worker from this cluster's image, or from `image` (e.g. the worker-only one: same command line). */
  async startWorker(id: string, extraArgs: string[] = [], image?: string): Promise<StartedTestContainer> {
    const args = ['worker', '--server', `ws://${SERVER_ALIAS}:${SERVER_PORT}`, '--worker-id', id, '--json', '--log-level', 'info', ...extraArgs];
    return this.track(this.base(id, image).withCommand(args));
  }

  private async track(c: GenericContainer): Promise<StartedTestContainer> {
    // Tracked before start resolves too: a container whose wait strategy times out still exists.
    const started = c.start();
    started.then(
      (s) => this.janitor.trackContainer(s.getId()),
      () => undefined,
    );
    try {
      return await started;
    } catch (err) {
      const leftovers = await this.client.container.dockerode.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL_OWNER_PID}=${process.pid}`] }) });
      for (const l of leftovers) this.janitor.trackContainer(l.Id);
      throw err;
    }
  }

  /** Resolves with the exit code once the container has stopped (or rejects after timeoutMs). */
  async waitForExit(container: StartedTestContainer, timeoutMs: number): Promise<number> {
    const c = this.client.container.dockerode.getContainer(container.getId());
    let timer: NodeJS.Timeout | undefined;
    try {
      const r = (await Promise.race([
        c.wait(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${container.getName()} still running after ${timeoutMs} ms`)), timeoutMs);
        }),
      ])) as { StatusCode: number };
      return r.StatusCode;
    } finally {
      clearTimeout(timer);
    }
  }

  async output(container: StartedTestContainer): Promise<{ stdout: string; stderr: string }> {
    return containerOutput(this.client.container.dockerode.getContainer(container.getId()));
  }

  async summary(server: StartedTestContainer): Promise<RunSummary> {
    return parseRunSummary((await this.output(server)).stdout);
  }

  /** SIGKILL: the process gets no chance to say goodbye (a crashed node, an OOM kill). */
  async kill(container: StartedTestContainer): Promise<void> {
    await this.client.container.dockerode.getContainer(container.getId()).kill({ signal: 'SIGKILL' });
  }

  /**
   * Crash and restart: SIGKILL, then start the same container again (same command, volumes and
   * network alias), as a restart policy would. Not testcontainers' restart(): `docker restart`
   * sends SIGTERM first, and a server that catches it ends the run for its workers.
   */
  async crashAndRestart(container: StartedTestContainer): Promise<void> {
    const c = this.client.container.dockerode.getContainer(container.getId());
    await c.kill({ signal: 'SIGKILL' });
    await c.wait();
    await c.start();
  }
}

/** The server's /readyz answer: its coordinator state and the weights version (optimizer updates). */
export async function readyz(server: StartedTestContainer): Promise<{ state: string; version: number }> {
  const res = await fetch(`http://${server.getHost()}:${server.getMappedPort(SERVER_PORT)}/readyz`);
  return (await res.json()) as { state: string; version: number };
}

/** Polls /readyz until the weights version reaches `min` (training is under way). */
export async function waitForVersion(server: StartedTestContainer, min: number, timeoutMs: number, pollMs = 250): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let last = -1;
  while (performance.now() < deadline) {
    try {
      last = (await readyz(server)).version;
      if (last >= min) return last;
    } catch {
      // not listening yet, or between restarts
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new Error(`server never reached version ${min} (last seen ${last}) within ${timeoutMs} ms`);
}
