import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ContainerRuntimeClient } from 'testcontainers';
import { GenericContainer } from 'testcontainers';
import { LOCAL_BASE_IMAGE, REPO_ROOT, TEST_IMAGE_TAG } from './constants';

const run = promisify(execFile);

export interface BuiltImage {
  tag: string;
  base: string;
  /** Staging the context plus `docker build`. */
  buildMs: number;
  sizeBytes: number;
  baseSizeBytes: number;
}

async function imageSize(client: ContainerRuntimeClient, ref: string): Promise<number | undefined> {
  try {
    return (await client.container.dockerode.getImage(ref).inspect()).Size;
  } catch {
    return undefined;
  }
}

/**
 * The base image to build on: DTRAIN_BASE_IMAGE when set (e.g. node:22-slim where a registry is
 * reachable; .ci/run sets it to the local base it built), else the local FROM-scratch base, built
 * from this machine's node if it is not there yet.
 */
export async function ensureBaseImage(client: ContainerRuntimeClient, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const wanted = env['DTRAIN_BASE_IMAGE'] || LOCAL_BASE_IMAGE;
  if ((await imageSize(client, wanted)) !== undefined) return wanted;
  if (wanted !== LOCAL_BASE_IMAGE) return wanted; // docker build pulls it
  await run(join(REPO_ROOT, 'deploy/docker/build-local-base.sh'), [LOCAL_BASE_IMAGE], { cwd: REPO_ROOT });
  return LOCAL_BASE_IMAGE;
}

/**
 * Every build whose sources changed leaves an untagged image of the Dockerfile's deps stage. The
 * newest is the layer cache of the next build; older ones only fill the disk.
 */
async function pruneOldDepsStages(client: ContainerRuntimeClient): Promise<void> {
  const docker = client.container.dockerode;
  const stale = (await docker.listImages({ filters: JSON.stringify({ dangling: ['true'], label: ['dev.dtrain.stage=deps'] }) }))
    .sort((a, b) => b.Created - a.Created)
    .slice(1);
  for (const img of stale) await docker.getImage(img.Id).remove().catch(() => undefined);
}

/**
 * Builds a dtrain image (the whole program, or `app: 'worker'` alone) the way deploy/docker/build-image.sh does (staged context, the host's
 * production node_modules), through testcontainers, and reports its size. The previous image of
 * the same tag is removed when the build replaced it, so repeated runs leave no dangling images.
 */
export async function buildDtrainImage(client: ContainerRuntimeClient, opts: { tag?: string; base?: string; app?: 'all' | 'worker' } = {}): Promise<BuiltImage> {
  const tag = opts.tag ?? TEST_IMAGE_TAG;
  const base = opts.base ?? (await ensureBaseImage(client));
  const docker = client.container.dockerode;
  const previous = await docker
    .getImage(tag)
    .inspect()
    .then((i) => i.Id)
    .catch(() => undefined);
  const started = performance.now();
  const ctx = await mkdtemp(join(tmpdir(), 'dtrain-image-'));
  try {
    await run(process.execPath, [join(REPO_ROOT, 'deploy/docker/stage-context.mjs'), ctx, '--deps', 'host', '--app', opts.app ?? 'all'], { cwd: REPO_ROOT, maxBuffer: 16 << 20 });
    await GenericContainer.fromDockerfile(ctx).withBuildArgs({ BASE_IMAGE: base }).build(tag, { deleteOnExit: false });
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
  const buildMs = performance.now() - started;
  const info = await docker.getImage(tag).inspect();
  if (previous && previous !== info.Id) await docker.getImage(previous).remove().catch(() => undefined);
  await pruneOldDepsStages(client);
  return { tag, base, buildMs, sizeBytes: info.Size, baseSizeBytes: (await imageSize(client, base)) ?? 0 };
}
