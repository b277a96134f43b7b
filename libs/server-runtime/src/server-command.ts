import { Command } from 'commander';
import { addCommonFlags, cliConsole, intArg, logLevelOf, printSummary } from '@dtrain/cli-kit';
import { launchServer } from './launch-server';
import type { ServerFlags } from './server-flags';
import { addServerFlags, securityWarnings, serverOptionsFromFlags } from './server-flags';

export function serverCommand(): Command {
  return addServerFlags(addCommonFlags(new Command('server')))
    .description('run the parameter server: wait for workers, train, evaluate, save')
    .option('--dashboard-port <n>', 'serve the live dashboard (and /metrics) on this port (0 = any free port, printed at start)', intArg('--dashboard-port'))
    .action(async (flags: ServerFlags & { dashboardPort?: number }) => {
      const options = serverOptionsFromFlags(flags);
      const { log, progress } = cliConsole(flags, logLevelOf(flags));
      for (const warning of securityWarnings(flags, options)) log.warn(warning);
      const run = await launchServer(options, log, {}, { dashboardPort: flags.dashboardPort, progress });
      // Always said, even under --json: scripts and tests read the port from here.
      process.stderr.write(`dtrain server listening on ${run.server.url.replace('127.0.0.1', options.host)} (port ${run.server.port})\n`);
      // With checkpoints a signal is a restart (e.g. Kubernetes moving the pod): checkpoint, keep the
      // workers waiting, exit 0. Without them there is nothing to resume: end the run for everyone.
      let suspended = false;
      const onSignal = (signal: string): void => {
        if (options.checkpointDir) {
          suspended = true;
          void run.server.suspend(signal);
        } else void run.server.stop(signal);
      };
      process.once('SIGINT', () => onSignal('SIGINT'));
      process.once('SIGTERM', () => onSignal('SIGTERM'));
      try {
        const summary = await run.summary;
        printSummary(summary, flags.json, run.data.train.classNames);
        if (summary.saveError) throw summary.saveError;
      } catch (err) {
        if (!suspended) throw err;
        log.info('server suspended; a checkpoint was written — restart with --resume to continue', { dir: options.checkpointDir });
      }
    });
}
