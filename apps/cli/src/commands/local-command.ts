import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { superviseLocalWorkers, workerLogFormatFor } from '../local-workers';
import { addCommonFlags, cliConsole, intArg, logFormatOf, logLevelOf, printSummary } from '@dtrain/cli-kit';
import type { ServerFlags } from '@dtrain/server-runtime';
import { addServerFlags, launchServer, securityWarnings, serverOptionsFromFlags } from '@dtrain/server-runtime';


export function localCommand(): Command {
  return addServerFlags(addCommonFlags(new Command('local')), { host: '127.0.0.1' })
    .description('train on this machine: a parameter server plus N worker processes')
    .option('--dashboard-port <n>', 'live dashboard port (default: any free port, printed at start)', intArg('--dashboard-port'))
    .option('--no-dashboard', 'do not serve the live dashboard')
    .action(async (flags: ServerFlags & { dashboardPort?: number; dashboard: boolean }) => {
      // A local cluster is still a network service: without a token of the user's, use a random one.
      const userToken = flags.token ?? flags.tokenFile ?? process.env['DTRAIN_TOKEN'];
      const token = userToken ? undefined : randomBytes(24).toString('base64url');
      const options = serverOptionsFromFlags(flags, token ? { token } : {});
      const { log, progress } = cliConsole(flags, logLevelOf(flags));
      for (const warning of securityWarnings(flags, options)) log.warn(warning);
      const run = await launchServer(options, log, {}, { dashboardPort: flags.dashboard ? (flags.dashboardPort ?? 0) : undefined, progress });
      log.info('local cluster', { url: run.server.url, workers: options.workers });
      const local = superviseLocalWorkers(run.server, options, options.workers, { json: flags.json, workerLogFormat: workerLogFormatFor(logFormatOf(flags)), log });
      try {
        const summary = await run.summary;
        printSummary(summary, flags.json, run.data.train.classNames);
        if (summary.saveError) throw summary.saveError;
      } finally {
        await local.close();
      }
    });
}
