import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The Compose CLI this machine has: the v2 plugin (`docker compose`) or the standalone
 * `docker-compose` (Debian ships v1.29 and v2 under that name). undefined when there is none.
 */
export async function composeCommand(): Promise<string[] | undefined> {
  for (const cmd of [['docker', 'compose'], ['docker-compose']]) {
    try {
      await run(cmd[0]!, [...cmd.slice(1), 'version'], { timeout: 10_000 });
      return cmd;
    } catch {
      // not this one
    }
  }
  return undefined;
}
