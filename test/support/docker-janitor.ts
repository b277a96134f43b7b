import { hostname } from 'node:os';
import type Dockerode from 'dockerode';
import type { ContainerRuntimeClient } from 'testcontainers';
import { LABEL_OWNER, LABEL_OWNER_HOST, LABEL_OWNER_PID, OWNER_VALUE } from './constants';

/** Labels that mark a resource as made by this test process (see sweepStale). */
export function ownerLabels(): Record<string, string> {
  return { [LABEL_OWNER]: OWNER_VALUE, [LABEL_OWNER_PID]: String(process.pid), [LABEL_OWNER_HOST]: hostname() };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes every container, network and volume a suite created, in afterAll and on failure alike.
 * Ryuk is off (its image cannot be pulled), so nothing else would: this is the only cleanup.
 */
export class DockerJanitor implements AsyncDisposable {
  private readonly containers = new Set<string>();
  private readonly networks = new Set<string>();
  private readonly volumes = new Set<string>();
  private readonly docker: Dockerode;

  constructor(client: ContainerRuntimeClient) {
    this.docker = client.container.dockerode;
  }

  trackContainer(id: string): string {
    this.containers.add(id);
    return id;
  }

  /** A user-defined bridge network (container names and aliases resolve on it), owned by this suite. */
  async createNetwork(name: string): Promise<string> {
    await this.docker.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: ownerLabels() });
    this.networks.add(name);
    return name;
  }

  /** A named volume, owned by this suite; it starts as a copy of the image's directory it is mounted on. */
  async createVolume(name: string): Promise<string> {
    await this.docker.createVolume({ Name: name, Labels: ownerLabels() });
    this.volumes.add(name);
    return name;
  }

  /** Removes everything tracked; containers first (networks and volumes in use cannot go). */
  async dispose(): Promise<string[]> {
    const failures: string[] = [];
    const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 404) failures.push(`${what}: ${(err as Error).message}`);
      }
    };
    await Promise.all([...this.containers].map((id) => attempt(`container ${id}`, () => this.docker.getContainer(id).remove({ force: true, v: true }))));
    this.containers.clear();
    await Promise.all([...this.networks].map((n) => attempt(`network ${n}`, () => this.docker.getNetwork(n).remove())));
    this.networks.clear();
    await Promise.all([...this.volumes].map((v) => attempt(`volume ${v}`, () => this.docker.getVolume(v).remove({ force: true }))));
    this.volumes.clear();
    return failures;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const failures = await this.dispose();
    if (failures.length > 0) throw new Error(`cleanup left resources behind:\n${failures.join('\n')}`);
  }

  /**
   * Removes what earlier test processes on this host left behind when they were killed before
   * their afterAll ran: only resources whose owner process is gone, so parallel runs are safe.
   */
  static async sweepStale(client: ContainerRuntimeClient): Promise<number> {
    const docker = client.container.dockerode;
    const host = hostname();
    const stale = (labels: Record<string, string> | undefined): boolean => {
      if (!labels || labels[LABEL_OWNER] !== OWNER_VALUE || labels[LABEL_OWNER_HOST] !== host) return false;
      const pid = Number(labels[LABEL_OWNER_PID]);
      return Number.isInteger(pid) && pid !== process.pid && !pidAlive(pid);
    };
    const filters = JSON.stringify({ label: [`${LABEL_OWNER}=${OWNER_VALUE}`] });
    let removed = 0;
    for (const c of await docker.listContainers({ all: true, filters })) {
      if (!stale(c.Labels)) continue;
      await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
      removed++;
    }
    for (const n of await docker.listNetworks({ filters })) {
      if (!stale(n.Labels)) continue;
      await docker.getNetwork(n.Id).remove().catch(() => undefined);
      removed++;
    }
    const { Volumes } = await docker.listVolumes({ filters });
    for (const v of Volumes ?? []) {
      if (!stale(v.Labels ?? undefined)) continue;
      await docker.getVolume(v.Name).remove({ force: true }).catch(() => undefined);
      removed++;
    }
    return removed;
  }
}
