import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { ContainerRuntimeClient, StartedTestContainer } from 'testcontainers';
import type { BuiltImage } from './build-images';
import { buildDtrainImage } from './build-images';
import { containerOutput } from './docker-logs';
import { DockerJanitor } from './docker-janitor';
import { DtrainCluster } from './dtrain-containers';

/** Lines of each container's log printed when a test fails. */
const FAILURE_LOG_LINES = 60;

export interface ContainerSuite {
  client: ContainerRuntimeClient;
  janitor: DockerJanitor;
  image: BuiltImage;
  /** A fresh cluster on a fresh network (one per scenario, so scenarios cannot see each other). */
  cluster(): Promise<DtrainCluster>;
  /** Prints the tail of every given container's log (for a failed test). */
  dumpLogs(containers: StartedTestContainer[]): Promise<void>;
}

/** beforeAll of every container suite: sweep what killed runs left, build the image, own a janitor. */
export async function openContainerSuite(client: ContainerRuntimeClient, name: string): Promise<ContainerSuite> {
  const swept = await DockerJanitor.sweepStale(client);
  if (swept > 0) process.stderr.write(`[${name}] removed ${swept} resources left by earlier killed runs\n`);
  const janitor = new DockerJanitor(client);
  const image = await buildDtrainImage(client);
  return {
    client,
    janitor,
    image,
    async cluster() {
      const network = await janitor.createNetwork(`dtrain-it-${name}-${randomBytes(4).toString('hex')}`);
      return new DtrainCluster(client, janitor, image.tag, network);
    },
    async dumpLogs(containers) {
      for (const c of containers) {
        try {
          const { stdout, stderr } = await containerOutput(client.container.dockerode.getContainer(c.getId()));
          const tail = (stdout + stderr).trim().split('\n').slice(-FAILURE_LOG_LINES).join('\n');
          process.stderr.write(`----- ${c.getName()} -----\n${tail}\n`);
        } catch (err) {
          process.stderr.write(`----- ${c.getName()}: no logs (${(err as Error).message})\n`);
        }
      }
    },
  };
}

/** A suite's handle inside `describe`: the suite (after beforeAll) and the containers to dump on failure. */
export interface ContainerScenario {
  readonly suite: ContainerSuite;
  /** Push every container a test starts: a failed test prints their logs. */
  readonly started: StartedTestContainer[];
}

/**
 * Registers the hooks every container scenario needs, in the enclosing `describe`: open the suite
 * (beforeAll), dump the started containers' logs after a failed test, dispose everything (afterAll).
 */
export function useContainerSuite(client: ContainerRuntimeClient, name: string): ContainerScenario {
  let suite: ContainerSuite | undefined;
  const started: StartedTestContainer[] = [];
  beforeAll(async () => {
    suite = await openContainerSuite(client, name);
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await suite?.dumpLogs(started);
  });
  afterAll(async () => {
    await suite?.janitor.dispose();
  });
  return {
    get suite(): ContainerSuite {
      if (!suite) throw new Error(`container suite ${name} is not open (used outside a test?)`);
      return suite;
    },
    started,
  };
}
