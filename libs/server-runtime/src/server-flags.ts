import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { ServerOptions } from '@dtrain/coordinator';
import { DEFAULT_SERVER_OPTIONS, isLoopback, resolveServerOptions } from '@dtrain/coordinator';
import type { CommonFlags } from '@dtrain/cli-kit';
import type { FlagRow } from '@dtrain/cli-kit';
import { addFlagTable, applyFlagTable, flagRow, floatArg, intArg, resolveToken, runConfigFromFlags } from '@dtrain/cli-kit';

export interface ServerFlags extends CommonFlags {
  host?: string;
  insecure: boolean;
  port: number;
  workers: number;
  mode: string;
  staleness: number;
  compression: string;
  weightsCompression?: string;
  shard: string;
  backupWorkers: number;
  shares: string;
  token?: string;
  tokenFile?: string;
  heartbeatMs: number;
  heartbeatTimeoutMs: number;
  joinTimeoutMs: number;
  maxFrameBytes: number;
  maxGradientAbs: number;
  gradientSpikeFactor: number;
  preAuthBytes: number;
  maxUnjoined: number;
  maxUnjoinedPerAddress: number;
  maxSendBufferBytes: number;
  checkpointDir?: string;
  checkpointEvery: number;
  checkpointSeconds: number;
  /** `--resume` (use --checkpoint-dir) or `--resume DIR` (that directory; implies --checkpoint-dir DIR). */
  resume: boolean | string;
  freeze?: string;
  tlsCert?: string;
  tlsKey?: string;
  shards?: string;
  shardConnectTimeoutMs: number;
}

/** The options a server's flags build, before resolveServerOptions fills and validates the rest. */
type Draft = Partial<Omit<ServerOptions, 'run' | 'transportLimits'>> & { transportLimits: ServerOptions['transportLimits'] };

const d = DEFAULT_SERVER_OPTIONS;
const row = <K extends keyof ServerFlags & string>(field: K, flag: string, doc: string, extra: Parameters<typeof flagRow<ServerFlags, Draft, K>>[3] = {}) =>
  flagRow<ServerFlags, Draft, K>(field, flag, doc, extra);
const int = (name: string) => ({ parse: intArg(name) });
const float = (name: string) => ({ parse: floatArg(name) });

/**
 * Every flag of the parameter server, shared by `server`, `local` and `finetune`: syntax, field,
 * default, help, validator and where it goes. The few without a setter (token, TLS, resume,
 * checkpoint directory, freeze) combine with others in `serverOptionsFromFlags`.
 */
export const SERVER_FLAG_TABLE: readonly FlagRow<ServerFlags, Draft>[] = [
  row('host', '--host <addr>', 'interface to listen on (default: 0.0.0.0 with a token, 127.0.0.1 without)', { to: (o, v) => (o.host = v) }),
  row('insecure', '--insecure', 'allow listening on a non-loopback address without a token (trusted networks only)', { default: false, to: (o, v) => (o.insecure = v) }),
  row('port', '--port <n>', 'port to listen on (0 = any free port, printed at start)', { ...int('--port'), default: 0, to: (o, v) => (o.port = v) }),
  row('workers', '--workers <n>', 'workers to wait for before the first step', {
    ...int('--workers'),
    default: d.workers,
    to: (o, v) => {
      o.workers = v;
      o.maxWorkers = Math.max(d.maxWorkers, v);
    },
  }),
  row('mode', '--mode <mode>', 'bsp | asp | ssp', { default: d.mode, to: (o, v) => (o.mode = v as ServerOptions['mode']) }),
  row('staleness', '--staleness <n>', 'SSP bound S', { ...int('--staleness'), default: d.staleness, to: (o, v) => (o.staleness = v) }),
  row('compression', '--compression <c>', 'none | fp16 | int8[:CHUNK] | int4[:CHUNK] | sign[:CHUNK] | topk:RATIO (gradients, with error feedback)', { default: d.compression, to: (o, v) => (o.compression = v) }),
  row('weightsCompression', '--weights-compression <c>', 'codec of the weight deltas sent to workers (same choices; default: as --compression)', { to: (o, v) => (o.weightsCompression = v) }),
  row('shard', '--shard <strategy>', 'iid | by-class (non-IID)', { default: d.shardStrategy, to: (o, v) => (o.shardStrategy = v as ServerOptions['shardStrategy']) }),
  row('shares', '--shares <how>', 'BSP: split each step even | in proportion to measured worker throughput', { default: d.shares, to: (o, v) => (o.shares = v as ServerOptions['shares']) }),
  row('backupWorkers', '--backup-workers <n>', 'BSP: a step completes when workers−B gradients are in', { ...int('--backup-workers'), default: d.backupWorkers, to: (o, v) => (o.backupWorkers = v) }),
  row('token', '--token <secret>', 'shared secret workers must present (env DTRAIN_TOKEN)'),
  row('tokenFile', '--token-file <path>', 'read the shared secret from a file'),
  row('heartbeatMs', '--heartbeat-ms <n>', 'worker heartbeat period', { ...int('--heartbeat-ms'), default: d.heartbeatMs, to: (o, v) => (o.heartbeatMs = v) }),
  row('heartbeatTimeoutMs', '--heartbeat-timeout-ms <n>', 'a worker silent this long is lost', { ...int('--heartbeat-timeout-ms'), default: d.heartbeatTimeoutMs, to: (o, v) => (o.heartbeatTimeoutMs = v) }),
  row('joinTimeoutMs', '--join-timeout-ms <n>', 'fail if the workers have not joined by then (0 = wait)', { ...int('--join-timeout-ms'), default: d.joinTimeoutMs, to: (o, v) => (o.joinTimeoutMs = v) }),
  row('maxFrameBytes', '--max-frame-bytes <n>', 'largest accepted frame', { ...int('--max-frame-bytes'), default: d.maxFrameBytes, to: (o, v) => (o.maxFrameBytes = v) }),
  row('maxGradientAbs', '--max-gradient-abs <x>', 'refuse (and evict) a push with a gradient element above this', { ...float('--max-gradient-abs'), default: d.maxGradientAbs, to: (o, v) => (o.maxGradientAbs = v) }),
  row('preAuthBytes', '--pre-auth-bytes <n>', 'bytes a connection may send before it has joined', { ...int('--pre-auth-bytes'), default: d.transportLimits.preAuthBytes, to: (o, v) => (o.transportLimits.preAuthBytes = v) }),
  row('maxUnjoined', '--max-unjoined <n>', 'connections waiting to join, in all', { ...int('--max-unjoined'), default: d.transportLimits.maxUnjoined, to: (o, v) => (o.transportLimits.maxUnjoined = v) }),
  row('maxUnjoinedPerAddress', '--max-unjoined-per-address <n>', '…and from one address', { ...int('--max-unjoined-per-address'), default: d.transportLimits.maxUnjoinedPerAddress, to: (o, v) => (o.transportLimits.maxUnjoinedPerAddress = v) }),
  row('maxSendBufferBytes', '--max-send-buffer-bytes <n>', 'a worker with more unsent bytes than this is cut off at its next push (PS_ERR_SLOW_CONSUMER)', { ...int('--max-send-buffer-bytes'), default: d.transportLimits.maxSendBufferBytes, to: (o, v) => (o.transportLimits.maxSendBufferBytes = v) }),
  row('gradientSpikeFactor', '--gradient-spike-factor <x>', '…or above this many times the median of recent pushes (0 = off)', { ...float('--gradient-spike-factor'), default: d.gradientSpikeFactor, to: (o, v) => (o.gradientSpikeFactor = v) }),
  row('checkpointDir', '--checkpoint-dir <dir>', 'write checkpoints here'),
  row('checkpointEvery', '--checkpoint-every <steps>', 'checkpoint every K steps (0 = off)', { ...int('--checkpoint-every'), default: d.checkpointEverySteps, to: (o, v) => (o.checkpointEverySteps = v) }),
  row('checkpointSeconds', '--checkpoint-seconds <s>', 'and at least every T seconds (0 = off)', { ...int('--checkpoint-seconds'), default: d.checkpointEverySeconds, to: (o, v) => (o.checkpointEverySeconds = v) }),
  row('resume', '--resume [dir]', 'continue from the newest valid checkpoint in DIR (default: --checkpoint-dir); a torn one is skipped', { default: false }),
  row('freeze', '--freeze <layers>', 'comma-separated layer names or prefixes to freeze (e.g. conv)', { to: (o, v) => (o.frozen = v ? v.split(',').map((x) => x.trim()).filter(Boolean) : []) }),
  row('tlsCert', '--tls-cert <path>', 'serve wss:// with this certificate'),
  row('tlsKey', '--tls-key <path>', 'and this private key'),
  row('shards', '--shards <urls>', 'sharded parameter servers: comma-separated `dtrain shard` URLs (ws://host:port), one per key range', {
    to: (o, v) => (o.shards = v ? v.split(',').map((x) => x.trim()).filter(Boolean) : []),
  }),
  row('shardConnectTimeoutMs', '--shard-connect-timeout-ms <n>', 'wait this long for each shard to open its slice', { ...int('--shard-connect-timeout-ms'), default: d.shardConnectTimeoutMs, to: (o, v) => (o.shardConnectTimeoutMs = v) }),
];

/** Flags of the parameter server (SERVER_FLAG_TABLE), with a command's own host and port defaults. */
export function addServerFlags(cmd: Command, defaults: { host?: string; port?: number } = {}): Command {
  return addFlagTable(cmd, SERVER_FLAG_TABLE, defaults);
}

/** What to say about how the token was given and where the server listens (logged at start). */
export function securityWarnings(f: Pick<ServerFlags, 'token'>, o: Pick<ServerOptions, 'token' | 'host' | 'insecure'>): string[] {
  const out: string[] = [];
  if (f.token !== undefined) out.push('--token on the command line is visible to every user of this machine (ps); prefer --token-file or DTRAIN_TOKEN');
  if (o.token === undefined && o.insecure && !isLoopback(o.host)) out.push(`listening on ${o.host} without a token (--insecure): anyone who reaches this address can join the run`);
  return out;
}

export function serverOptionsFromFlags(f: ServerFlags, overrides: Partial<ServerOptions> = {}): ServerOptions {
  if ((f.tlsCert === undefined) !== (f.tlsKey === undefined)) throw new InvalidArgumentError('--tls-cert and --tls-key go together');
  const run = runConfigFromFlags(f);
  const resumeDir = typeof f.resume === 'string' ? f.resume : undefined;
  if (resumeDir !== undefined && f.checkpointDir !== undefined && resumeDir !== f.checkpointDir)
    throw new InvalidArgumentError('--resume DIR and --checkpoint-dir name different directories');
  const draft = applyFlagTable(f, SERVER_FLAG_TABLE, { transportLimits: { ...DEFAULT_SERVER_OPTIONS.transportLimits } } as Draft);
  return resolveServerOptions({
    ...draft,
    run,
    token: resolveToken(f),
    checkpointDir: f.checkpointDir ?? resumeDir,
    resume: f.resume !== false,
    tls: f.tlsCert && f.tlsKey ? { certPath: f.tlsCert, keyPath: f.tlsKey } : undefined,
    ...overrides,
  });
}
