import type { Logger } from '@dtrain/common';
import type { ServerDeps, ServerOptions } from '@dtrain/coordinator';

/** Checkpoint saving/loading for the server, when --checkpoint-dir is set. */
export async function checkpointDeps(options: ServerOptions, log: Logger): Promise<ServerDeps['checkpoint'] | undefined> {
  if (!options.checkpointDir) return undefined;
  log.warn('checkpoints are not implemented yet; --checkpoint-dir ignored', { dir: options.checkpointDir });
  return undefined;
}
