import { Command } from 'commander';
import { createLineLogger } from '@dtrain/common';
import { loadDataset } from '@dtrain/data';
import { initEngine } from '@dtrain/engine';
import { trainSingleProcess } from '@dtrain/trainer';
import type { CommonFlags } from '../common-flags';
import { addCommonFlags, logLevelOf, runConfigFromFlags } from '../common-flags';
import { printSummary } from '../output';

export function trainCommand(): Command {
  return addCommonFlags(new Command('train'))
    .description('train the model in this one process, evaluate it and save it')
    .action(async (flags: CommonFlags) => {
      const config = runConfigFromFlags(flags);
      const log = createLineLogger(logLevelOf(flags));
      const engine = await initEngine({ backend: config.backend });
      log.info('engine ready', { backend: engine.backend, fallbacks: engine.fallbacks.map((f) => `${f.backend}: ${f.reason}`) });
      const data = await loadDataset(config.dataset, { trainLimit: config.trainLimit || undefined });
      log.info('dataset loaded', { source: data.source, train: data.train.count, test: data.test.count });
      const summary = await trainSingleProcess({ config, data, backend: engine.backend, log });
      printSummary(summary, flags.json, data.train.classNames);
    });
}
