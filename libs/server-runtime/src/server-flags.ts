import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { ServerOptions } from '@dtrain/coordinator';
import { DEFAULT_SERVER_OPTIONS, isLoopback, resolveServerOptions } from '@dtrain/coordinator';
import type { CommonFlags } from '@dtrain/cli-kit';
import { floatArg, intArg, resolveToken, runConfigFromFlags } from '@dtrain/cli-kit';

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
}

/** Flags of the parameter server, shared by `server`, `local` and `finetune`. */
export function addServerFlags(cmd: Command, defaults: { host?: string; port?: number } = {}): Command {
  const d = DEFAULT_SERVER_OPTIONS;
  return cmd
    .option('--host <addr>', 'interface to listen on (default: 0.0.0.0 with a token, 127.0.0.1 without)', defaults.host)
    .option('--insecure', 'allow listening on a non-loopback address without a token (trusted networks only)', false)
    .option('--port <n>', 'port to listen on (0 = any free port, printed at start)', intArg('--port'), defaults.port ?? 0)
    .option('--workers <n>', 'workers to wait for before the first step', intArg('--workers'), d.workers)
    .option('--mode <mode>', 'bsp | asp | ssp', d.mode)
    .option('--staleness <n>', 'SSP bound S', intArg('--staleness'), d.staleness)
    .option('--compression <c>', 'none | fp16 | int8[:CHUNK] | int4[:CHUNK] | sign[:CHUNK] | topk:RATIO (gradients, with error feedback)', d.compression)
    .option('--weights-compression <c>', 'codec of the weight deltas sent to workers (same choices; default: as --compression)')
    .option('--shard <strategy>', 'iid | by-class (non-IID)', d.shardStrategy)
    .option('--shares <how>', 'BSP: split each step even | in proportion to measured worker throughput', d.shares)
    .option('--backup-workers <n>', 'BSP: a step completes when workers−B gradients are in', intArg('--backup-workers'), d.backupWorkers)
    .option('--token <secret>', 'shared secret workers must present (env DTRAIN_TOKEN)')
    .option('--token-file <path>', 'read the shared secret from a file')
    .option('--heartbeat-ms <n>', 'worker heartbeat period', intArg('--heartbeat-ms'), d.heartbeatMs)
    .option('--heartbeat-timeout-ms <n>', 'a worker silent this long is lost', intArg('--heartbeat-timeout-ms'), d.heartbeatTimeoutMs)
    .option('--join-timeout-ms <n>', 'fail if the workers have not joined by then (0 = wait)', intArg('--join-timeout-ms'), d.joinTimeoutMs)
    .option('--max-frame-bytes <n>', 'largest accepted frame', intArg('--max-frame-bytes'), d.maxFrameBytes)
    .option('--max-gradient-abs <x>', 'refuse (and evict) a push with a gradient element above this', floatArg('--max-gradient-abs'), d.maxGradientAbs)
    .option('--pre-auth-bytes <n>', 'bytes a connection may send before it has joined', intArg('--pre-auth-bytes'), d.transportLimits.preAuthBytes)
    .option('--max-unjoined <n>', 'connections waiting to join, in all', intArg('--max-unjoined'), d.transportLimits.maxUnjoined)
    .option('--max-unjoined-per-address <n>', '…and from one address', intArg('--max-unjoined-per-address'), d.transportLimits.maxUnjoinedPerAddress)
    .option('--max-send-buffer-bytes <n>', 'a worker with more unsent bytes than this is cut off at its next push (PS_ERR_SLOW_CONSUMER)', intArg('--max-send-buffer-bytes'), d.transportLimits.maxSendBufferBytes)
    .option('--gradient-spike-factor <x>', '…or above this many times the median of recent pushes (0 = off)', floatArg('--gradient-spike-factor'), d.gradientSpikeFactor)
    .option('--checkpoint-dir <dir>', 'write checkpoints here')
    .option('--checkpoint-every <steps>', 'checkpoint every K steps (0 = off)', intArg('--checkpoint-every'), d.checkpointEverySteps)
    .option('--checkpoint-seconds <s>', 'and at least every T seconds (0 = off)', intArg('--checkpoint-seconds'), d.checkpointEverySeconds)
    .option('--resume [dir]', 'continue from the newest valid checkpoint in DIR (default: --checkpoint-dir); a torn one is skipped', false)
    .option('--freeze <layers>', 'comma-separated layer names or prefixes to freeze (e.g. conv)')
    .option('--tls-cert <path>', 'serve wss:// with this certificate')
    .option('--tls-key <path>', 'and this private key');
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
  return resolveServerOptions({
    run,
    host: f.host,
    insecure: f.insecure,
    port: f.port,
    workers: f.workers,
    maxWorkers: Math.max(DEFAULT_SERVER_OPTIONS.maxWorkers, f.workers),
    mode: f.mode as ServerOptions['mode'],
    staleness: f.staleness,
    compression: f.compression,
    weightsCompression: f.weightsCompression,
    shardStrategy: f.shard as ServerOptions['shardStrategy'],
    backupWorkers: f.backupWorkers,
    shares: f.shares as ServerOptions['shares'],
    token: resolveToken(f),
    heartbeatMs: f.heartbeatMs,
    heartbeatTimeoutMs: f.heartbeatTimeoutMs,
    joinTimeoutMs: f.joinTimeoutMs,
    maxFrameBytes: f.maxFrameBytes,
    maxGradientAbs: f.maxGradientAbs,
    gradientSpikeFactor: f.gradientSpikeFactor,
    transportLimits: { ...DEFAULT_SERVER_OPTIONS.transportLimits, preAuthBytes: f.preAuthBytes, maxUnjoined: f.maxUnjoined, maxUnjoinedPerAddress: f.maxUnjoinedPerAddress, maxSendBufferBytes: f.maxSendBufferBytes },
    checkpointDir: f.checkpointDir ?? resumeDir,
    checkpointEverySteps: f.checkpointEvery,
    checkpointEverySeconds: f.checkpointSeconds,
    resume: f.resume !== false,
    frozen: f.freeze ? f.freeze.split(',').map((s) => s.trim()).filter(Boolean) : [],
    tls: f.tlsCert && f.tlsKey ? { certPath: f.tlsCert, keyPath: f.tlsKey } : undefined,
    ...overrides,
  });
}
