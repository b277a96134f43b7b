import { Command } from 'commander';
import { BACKEND_NAMES, describeAdapter, initEngine } from '@dtrain/engine';
import { createCliLogger, intArg, logFormatOf, logLevelOf, printLine, resolveToken } from '@dtrain/cli-kit';
import { resolveWorkerOptions } from './worker-options';
import { startWorker } from './run-worker';

interface WorkerFlags {
  server: string;
  workerId?: string;
  token?: string;
  tokenFile?: string;
  backend: string;
  ca?: string;
  insecure: boolean;
  slowMs: number;
  giveUpMs?: number;
  json: boolean;
  logLevel?: string;
  logFormat?: string;
}

export function workerCommand(): Command {
  return new Command('worker')
    .description('run one training worker against a parameter server')
    .requiredOption('--server <url>', 'ws://HOST:PORT or wss://HOST:PORT (env DTRAIN_SERVER)', process.env['DTRAIN_SERVER'])
    .option('--worker-id <id>', 'stable id reused on reconnect (default host-pid-random)')
    .option('--token <secret>', 'shared secret (env DTRAIN_TOKEN)')
    .option('--token-file <path>', 'read the shared secret from a file')
    .option('--backend <name>', `compute backend: ${['auto', ...BACKEND_NAMES].join(' | ')}`, process.env['DTRAIN_BACKEND'] ?? 'auto')
    .option('--ca <path>', 'CA certificate for wss://')
    .option('--insecure', 'accept a self-signed wss:// certificate', false)
    .option('--slow-ms <n>', 'add N ms to every step (simulates a straggler)', intArg('--slow-ms'), 0)
    .option('--give-up-ms <n>', 'stop reconnecting after N ms without a server', intArg('--give-up-ms'))
    .option('--json', 'print one JSON line with the worker totals at the end', false)
    .option('--log-level <level>', 'log level')
    .option('--log-format <format>', 'auto | pretty | json lines (auto: pretty on a terminal)')
    .action(async (flags: WorkerFlags) => {
      const log = createCliLogger({ level: logLevelOf(flags), format: logFormatOf(flags) });
      const engine = await initEngine({ backend: flags.backend as 'auto' });
      const opts = resolveWorkerOptions({
        serverUrl: flags.server,
        workerId: flags.workerId,
        token: resolveToken(flags),
        backend: engine.backend,
        caPath: flags.ca,
        insecureTls: flags.insecure,
        artificialDelayMs: flags.slowMs,
      });
      if (flags.giveUpMs !== undefined) opts.reconnect = { ...opts.reconnect, giveUpAfterMs: flags.giveUpMs };
      const adapter = engine.adapter ? describeAdapter(engine.adapter) : undefined;
      log.info('worker starting', { server: opts.serverUrl, id: opts.workerId, backend: engine.backend, ...(adapter ? { adapter } : {}) });
      const w = startWorker(opts, { log, backend: engine.backend });
      process.once('SIGTERM', () => w.stop());
      process.once('SIGINT', () => w.stop());
      const r = await w.done;
      if (flags.json) printLine(JSON.stringify({ worker_id: r.workerId, steps: r.steps, samples: r.samples, connections: r.connections, reason: r.reason, backend: engine.backend, ...(adapter ? { adapter } : {}) }));
      else log.info('worker done', { steps: r.steps, samples: r.samples, reason: r.reason });
    });
}
