import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { addCommonFlags, intArg, logLevelOf } from '../common-flags';
import { cliConsole, logFormatOf } from '../logging';
import { printSummary } from '../output';
import { launchServer } from '../run-server';
import type { ServerFlags } from '../server-flags';
import { addServerFlags, serverOptionsFromFlags } from '../server-flags';
import { spawnWorkers } from '../worker-processes';

/** Grace period for workers to exit by themselves once the server said the run is done. */
const WORKER_EXIT_GRACE_MS = 10_000;

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
      const run = await launchServer(options, log, {}, { dashboardPort: flags.dashboard ? (flags.dashboardPort ?? 0) : undefined, progress });
      // Worker stderr is a pipe (so `auto` would mean JSON): give them the format this terminal shows.
      const workerLogFormat = logFormatOf(flags) === 'auto' ? (process.stderr.isTTY ? 'pretty' : 'json') : logFormatOf(flags);
      log.info('local cluster', { url: run.server.url, workers: options.workers });
      const workers = spawnWorkers(options.workers, {
        serverUrl: run.server.url,
        token: options.token,
        backend: options.run.backend,
        logLevel: flags.json ? 'error' : 'warn',
        extraArgs: () => ['--log-format', workerLogFormat],
        forwardLogs: true,
      });
      const stopAll = (): void => {
        for (const w of workers) w.child.kill('SIGTERM');
        void run.server.stop('signal');
      };
      process.once('SIGINT', stopAll);
      process.once('SIGTERM', stopAll);
      // If every worker died, nobody will finish the run: stop instead of waiting forever.
      void Promise.all(workers.map((w) => w.exited)).then((codes) => {
        if (run.server.coordinator.state !== 'finished') {
          log.error('all workers exited before the run finished', { codes });
          void run.server.stop('all workers exited');
        }
      });
      try {
        const summary = await run.summary;
        printSummary(summary, flags.json, run.data.train.classNames);
      } finally {
        const timer = setTimeout(() => workers.forEach((w) => w.child.kill('SIGKILL')), WORKER_EXIT_GRACE_MS);
        await Promise.all(workers.map((w) => w.exited));
        clearTimeout(timer);
      }
    });
}
