import type { ContainerRuntimeClient } from 'testcontainers';
import { containerOutput } from './docker-logs';
import type { DockerJanitor } from './docker-janitor';
import { ownerLabels } from './docker-janitor';

export interface RunOnceOptions {
  entrypoint?: string[];
  /** As under Kubernetes' readOnlyRootFilesystem: only /tmp (tsx's compile cache) and /data (the volume) are writable. */
  readOnlyRoot?: boolean;
  env?: Record<string, string>;
  /** docker -v style mounts, e.g. `volume-name:/data`. */
  binds?: string[];
  timeoutMs?: number;
}

/**
 * Runs the image once to completion through testcontainers' Docker client (testcontainers itself
 * has no read-only-root switch) and returns its exit code and output; the container is removed.
 */
export async function runOnce(client: ContainerRuntimeClient, janitor: DockerJanitor, image: string, cmd: string[], opts: RunOnceOptions = {}) {
  const docker = client.container.dockerode;
  const container = await docker.createContainer({
    Image: image,
    Cmd: cmd,
    ...(opts.entrypoint ? { Entrypoint: opts.entrypoint } : {}),
    Env: Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`),
    Labels: ownerLabels(),
    HostConfig: {
      ...(opts.readOnlyRoot ? { ReadonlyRootfs: true, Tmpfs: { '/tmp': 'rw,size=64m', '/data': 'rw,size=64m,uid=1000,gid=1000' } } : {}),
      ...(opts.binds ? { Binds: opts.binds } : {}),
    },
  });
  janitor.trackContainer(container.id);
  let timer: NodeJS.Timeout | undefined;
  try {
    await container.start();
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const { StatusCode } = (await Promise.race([
      container.wait(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${cmd.join(' ')} still running after ${timeoutMs} ms`)), timeoutMs);
      }),
    ])) as { StatusCode: number };
    return { exitCode: StatusCode, ...(await containerOutput(container)) };
  } finally {
    clearTimeout(timer);
    await container.remove({ force: true }).catch(() => undefined);
  }
}
