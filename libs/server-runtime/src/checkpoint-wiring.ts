import type { Logger } from '@dtrain/common';
import type { ServerDeps, ServerOptions } from '@dtrain/coordinator';
import { CheckpointStore } from '@dtrain/coordinator';

/** Checkpoint saving (and with --resume, loading) for the server, when --checkpoint-dir is set. */
export async function checkpointDeps(options: ServerOptions, log: Logger): Promise<ServerDeps['checkpoint'] | undefined> {
  if (!options.checkpointDir) return undefined;
  const store = new CheckpointStore(options.checkpointDir, { keep: options.checkpointsKept, log });
  let restored: Awaited<ReturnType<CheckpointStore['loadLatest']>>;
  if (options.resume) {
    restored = await store.loadLatest();
    if (restored)
      log.info('resuming from checkpoint', { path: restored.path, epoch: restored.state.epoch + 1, updates: restored.state.updates, version: restored.state.version });
    else log.warn('no valid checkpoint to resume from; starting a new run', { dir: options.checkpointDir });
  }
  return {
    save: async (state) => {
      const path = await store.save(state);
      log.debug('checkpoint written', { path, updates: state.updates });
    },
    restored: restored?.state,
  };
}
