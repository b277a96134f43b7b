import { Command, InvalidArgumentError } from 'commander';
import { BACKEND_NAMES, describeAdapter, initEngine } from '@dtrain/engine';
import type { FlagRow } from '@dtrain/cli-kit';
import { addFlagTable, applyFlagTable, createCliLogger, flagRow, floatArg, intArg, logKernelFallbacks, logFormatOf, logLevelOf, printLine, resolveToken } from '@dtrain/cli-kit';
import type { WorkerOptions } from './worker-options';
import { DEFAULT_RECONNECT, resolveWorkerOptions } from './worker-options';
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
  slowFactor: number;
  giveUpMs?: number;
  json: boolean;
  logLevel?: string;
  logFormat?: string;
}

function slowFactorArg(v: string): number {
  const x = floatArg('--slow-factor')(v);
  if (x < 1 || x > 1000) throw new InvalidArgumentError('--slow-factor must be between 1 and 1000');
  return x;
}

/** The worker options its flags build, before resolveWorkerOptions fills the rest. */
type Draft = Partial<WorkerOptions> & { serverUrl: string };

const row = <K extends keyof WorkerFlags & string>(field: K, flag: string, doc: string, extra: Parameters<typeof flagRow<WorkerFlags, Draft, K>>[3] = {}) =>
  flagRow<WorkerFlags, Draft, K>(field, flag, doc, extra);

/** Every flag of `dtrain worker`, one row each (the token and the backend are resolved in the action). */
export const WORKER_FLAG_TABLE: readonly FlagRow<WorkerFlags, Draft>[] = [
  row('server', '--server <url>', 'ws://HOST:PORT or wss://HOST:PORT (env DTRAIN_SERVER)', { required: true, to: (o, v) => (o.serverUrl = v) }),
  row('workerId', '--worker-id <id>', 'stable id reused on reconnect (default host-pid-random)', { to: (o, v) => (o.workerId = v) }),
  row('token', '--token <secret>', 'shared secret (env DTRAIN_TOKEN)'),
  row('tokenFile', '--token-file <path>', 'read the shared secret from a file'),
  row('backend', '--backend <name>', `compute backend: ${['auto', ...BACKEND_NAMES].join(' | ')}`),
  row('ca', '--ca <path>', 'CA certificate for wss://', { to: (o, v) => (o.caPath = v) }),
  row('insecure', '--insecure', 'accept a self-signed wss:// certificate', { default: false, to: (o, v) => (o.insecureTls = v) }),
  row('slowMs', '--slow-ms <n>', 'add N ms to every step (simulates a straggler)', { parse: intArg('--slow-ms'), default: 0, to: (o, v) => (o.artificialDelayMs = v) }),
  row('slowFactor', '--slow-factor <x>', 'run X times slower than this machine: wait (X-1)x each step\'s compute (simulates a slower device)', { parse: slowFactorArg, default: 1, to: (o, v) => (o.slowdownFactor = v) }),
  row('giveUpMs', '--give-up-ms <n>', 'stop reconnecting after N ms without a server', { parse: intArg('--give-up-ms'), to: (o, v) => (o.reconnect = v === undefined ? DEFAULT_RECONNECT : { ...DEFAULT_RECONNECT, giveUpAfterMs: v }) }),
  row('json', '--json', 'print one JSON line with the worker totals at the end', { default: false }),
  row('logLevel', '--log-level <level>', 'log level'),
  row('logFormat', '--log-format <format>', 'auto | pretty | json lines (auto: pretty on a terminal)'),
];

export function workerCommand(): Command {
  return addFlagTable(new Command('worker').description('run one training worker against a parameter server'), WORKER_FLAG_TABLE, {
    server: process.env['DTRAIN_SERVER'],
    backend: process.env['DTRAIN_BACKEND'] ?? 'auto',
  })
    .action(async (flags: WorkerFlags) => {
      const log = createCliLogger({ level: logLevelOf(flags), format: logFormatOf(flags) });
      const engine = await initEngine({ backend: flags.backend as 'auto' });
      const opts = resolveWorkerOptions({ ...applyFlagTable(flags, WORKER_FLAG_TABLE, { serverUrl: flags.server }), token: resolveToken(flags), backend: engine.backend });
      const adapter = engine.adapter ? describeAdapter(engine.adapter) : undefined;
      log.info('worker starting', { server: opts.serverUrl, id: opts.workerId, backend: engine.backend, ...(adapter ? { adapter } : {}) });
      const w = startWorker(opts, { log, backend: engine.backend });
      process.once('SIGTERM', () => w.stop());
      process.once('SIGINT', () => w.stop());
      const r = await w.done;
      const fallbacks = logKernelFallbacks(log);
      if (flags.json)
        printLine(JSON.stringify({ worker_id: r.workerId, steps: r.steps, samples: r.samples, connections: r.connections, reason: r.reason, backend: engine.backend, ...(adapter ? { adapter } : {}), kernel_fallbacks: fallbacks }));
      else log.info('worker done', { steps: r.steps, samples: r.samples, reason: r.reason });
    });
}
