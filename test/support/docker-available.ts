import type { ContainerRuntimeClient } from 'testcontainers';
import { getContainerRuntimeClient } from 'testcontainers';
import { DOCKER_PING_TIMEOUT_MS } from './constants';

// Ryuk (testcontainers' reaper container) cannot be pulled where there is no registry; the suites
// remove what they create themselves (DockerJanitor). Someone with a registry may still opt in.
process.env['TESTCONTAINERS_RYUK_DISABLED'] ??= 'true';

export type DockerStatus = { available: true; client: ContainerRuntimeClient; serverVersion: number } | { available: false; reason: string };

/** Whether a Docker daemon answers, found the way testcontainers finds it (DOCKER_HOST, socket, ...). */
export async function dockerStatus(timeoutMs = DOCKER_PING_TIMEOUT_MS): Promise<DockerStatus> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const client = await Promise.race([getContainerRuntimeClient(), timeout]);
    await Promise.race([client.container.dockerode.ping(), timeout]);
    return { available: true, client, serverVersion: client.info.containerRuntime.serverVersion };
  } catch (err) {
    return { available: false, reason: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The policy for container suites: run when a daemon answers; skip only when none answers and
 * this is not CI. Under CI=true a missing daemon is a failure, so the suites never skip silently.
 */
export async function containerSuiteGate(env: NodeJS.ProcessEnv = process.env): Promise<{ run: boolean; client?: ContainerRuntimeClient }> {
  const status = await dockerStatus();
  if (status.available) return { run: true, client: status.client };
  if (env['CI'] === 'true') throw new Error(`CI=true but no Docker daemon answers (${status.reason}); the container tests must run in CI`);
  process.stderr.write(`[containers] skipped: no Docker daemon answers (${status.reason})\n`);
  return { run: false };
}
