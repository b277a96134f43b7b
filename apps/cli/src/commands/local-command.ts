import { randomBytes } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import { superviseLocalWorkers, workerLogFormatFor } from '../local-workers';
import type { ShardProcesses } from '../shard-processes';
import { spawnShards } from '../shard-processes';
import { isCodedError } from '@dtrain/common';
import { addCommonFlags, cliConsole, intArg, logFormatOf, logLevelOf, printSummary, resolveToken } from '@dtrain/cli-kit';
import type { ServerFlags } from '@dtrain/server-runtime';
import { addServerFlags, launchServer, securityWarnings, serverOptionsFromFlags } from '@dtrain/server-runtime';


export function localCommand(): Command {
  return addServerFlags(addCommonFlags(new Command('local')), { host: '127.0.0.1' })
    .description('train on this machine: a parameter server plus N worker processes')
    .option('--dashboard-port <n>', 'live dashboard port (default: any free port, printed at start)', intArg('--dashboard-port'))
    .option('--no-dashboard', 'do not serve the live dashboard')
    .option('--servers <n>', 'parameter servers: 1 (this process holds every weight) or N shard processes, each a key range', intArg('--servers'), 1)
    .action(async (flags: ServerFlags & { dashboardPort?: number; dashboard: boolean; servers: number }) => {
      // A local cluster is still a network service: without a token of the user's, use a random one.
      const userToken = flags.token ?? flags.tokenFile ?? process.env['DTRAIN_TOKEN'];
      const token = userToken ? undefined : randomBytes(24).toString('base64url');
      if (!(flags.servers >= 1 && flags.servers <= 64)) throw new InvalidArgumentError('--servers must be in 1..64');
      if (flags.servers > 1 && flags.shards) throw new InvalidArgumentError('give --servers N (local shard processes) or --shards URLS, not both');
      const { log, progress } = cliConsole(flags, logLevelOf(flags));
      const workerLogFormat = workerLogFormatFor(logFormatOf(flags));
      let shards: ShardProcesses | undefined;
      if (flags.servers > 1) {
        shards = await spawnShards(flags.servers, { token: token ?? resolveToken(flags), logLevel: flags.json ? 'error' : 'warn', logFormat: workerLogFormat, log });
      }
      try {
        let options = serverOptionsFromFlags(flags, { ...(token ? { token } : {}), ...(shards ? { shards: shards.urls } : {}) });
        for (const warning of securityWarnings(flags, options)) log.warn(warning);
        const tele = { dashboardPort: flags.dashboard ? (flags.dashboardPort ?? 0) : undefined, progress };
        let run = await launchServer(options, log, {}, tele);
        log.info('local cluster', { url: run.server.url, workers: options.workers, servers: flags.servers });
        const local = superviseLocalWorkers(() => run.server, options, options.workers, { json: flags.json, workerLogFormat, log });
        try {
          for (;;) {
            try {
              const summary = await run.summary;
              printSummary(summary, flags.json, run.data.train.classNames);
              if (summary.saveError) throw summary.saveError;
              break;
            } catch (err) {
              // A shard died and the run was suspended at its last checkpoint: start the shard again on
              // its port and a coordinator on ours with --resume; the workers reconnect to both.
              if (!shards || !isCodedError(err) || err.code !== 'PS_ERR_SHARD_LOST' || err.details?.['suspended'] !== true) throw err;
              const restarted = await shards.restartExited();
              log.warn('a parameter shard was lost: resuming from the last checkpoint', { restarted, port: run.server.port });
              options = { ...options, resume: true, port: run.server.port };
              run = await launchServer(options, log, {}, tele);
            }
          }
        } finally {
          await local.close();
        }
      } finally {
        await shards?.close();
      }
    });
}
