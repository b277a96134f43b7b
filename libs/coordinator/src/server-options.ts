import { CodedError } from '@dtrain/common';
import type { ShardStrategy, SyncKind } from '@dtrain/protocol';
import { SHARD_STRATEGIES, SYNC_KINDS } from '@dtrain/protocol';
import type { RunConfig } from '@dtrain/trainer';
import { resolveRunConfig } from '@dtrain/trainer';
import { parseCompression } from '@dtrain/training';
import type { JoinBackoffOptions } from './join-backoff';
import { DEFAULT_JOIN_BACKOFF } from './join-backoff';
import type { TransportLimits } from './ws-transport';
import { DEFAULT_TRANSPORT_LIMITS } from './ws-transport';

/** The protocol's sync kinds, as the server's `--mode`. */
export type ConsistencyMode = SyncKind;

export interface RateLimit {
  /** Sustained frames per second one connection may send. */
  framesPerSec: number;
  /** Frames allowed in a burst above the sustained rate. */
  burst: number;
}

export interface ServerOptions {
  run: RunConfig;
  /**
   * Interface to listen on. Unset: 0.0.0.0 with a token, 127.0.0.1 without (an open server is
   * reachable from this machine only). Any non-loopback address without a token is refused
   * (PS_ERR_INSECURE_BIND) unless `insecure`.
   */
  host: string;
  /** Allow a non-loopback address without a token (trusted networks only; a warning is logged). */
  insecure: boolean;
  /** 0 = any free port (printed at start). */
  port: number;
  /** Workers that must join before the first step. */
  workers: number;
  /** Connections beyond this are refused (PS_ERR_SERVER_FULL). */
  maxWorkers: number;
  mode: ConsistencyMode;
  /** SSP bound: no worker more than S steps ahead of the slowest; older gradients are refused. */
  staleness: number;
  /** none | fp16 | int8 | int4 | sign | topk:RATIO for gradients (workers keep the residual). */
  compression: string;
  /**
   * Codec of the weight deltas sent down (against what each worker holds, so nothing drifts);
   * undefined = the same as `compression`. Gradients and weights behave differently under
   * compression, so the two directions are chosen separately.
   */
  weightsCompression: string | undefined;
  shardStrategy: ShardStrategy;
  /** BSP: a step completes when workers − backupWorkers gradients are in; late ones are dropped. */
  backupWorkers: number;
  /**
   * BSP: how a step's global batch is split over the members: 'even', or in proportion to each
   * one's measured throughput ('throughput': a slow worker no longer sets the pace). Either way the
   * update is one step on the whole batch; 'even' is also bit-for-bit reproducible run to run.
   */
  shares: 'even' | 'throughput';
  /** Shared secret every join must carry; undefined = no authentication. */
  token: string | undefined;
  /** Shortest token accepted (a guessable token is no authentication). */
  minTokenLength: number;
  heartbeatMs: number;
  /** A worker silent for this long is declared lost. */
  heartbeatTimeoutMs: number;
  /** Give up if the first `workers` have not joined by then (0 = wait forever). */
  joinTimeoutMs: number;
  /** A connection that has not sent a valid join by then is closed. */
  helloTimeoutMs: number;
  maxFrameBytes: number;
  /** A push with any |gradient element| above this is refused and its worker evicted (see GradientGuard). */
  maxGradientAbs: number;
  /** …or above this many times the median max-abs of recent pushes (0 = off). */
  gradientSpikeFactor: number;
  rateLimit: RateLimit;
  /** What a connection may cost before it joins, and ws's caps (see TransportLimits). */
  transportLimits: TransportLimits;
  /** How refusals of repeated failed joins from one address are slowed (see JoinBackoff). */
  joinBackoff: JoinBackoffOptions;
  /** Where checkpoints go; undefined = no checkpoints. */
  checkpointDir: string | undefined;
  checkpointEverySteps: number;
  checkpointEverySeconds: number;
  /** Checkpoints kept on disk (older ones are deleted). */
  checkpointsKept: number;
  /** Resume from the newest valid checkpoint in checkpointDir. */
  resume: boolean;
  /** Model layers to freeze (fine-tuning), by layer name prefix. */
  frozen: string[];
  tls: { certPath: string; keyPath: string } | undefined;
  /**
   * Sharded parameter servers: one `dtrain shard` URL per key range (ws:// or wss://). Empty: this
   * process holds every weight (one server, as before).
   */
  shards: string[];
  /** How long to wait for each shard to accept the connection and open its slice. */
  shardConnectTimeoutMs: number;
}

export const DEFAULT_SERVER_OPTIONS: Omit<ServerOptions, 'run'> = {
  // Used only with a token; without one the default is loopback (see resolveServerOptions).
  host: '0.0.0.0',
  insecure: false,
  port: 0,
  workers: 2,
  // Enough for a laptop or a small cluster; each worker costs one socket and its in-flight batch.
  maxWorkers: 256,
  mode: 'bsp',
  staleness: 2,
  compression: 'none',
  weightsCompression: undefined,
  shardStrategy: 'iid',
  backupWorkers: 0,
  shares: 'even',
  token: undefined,
  // 16 characters of a random base64 token are 96 bits: beyond guessing at any rate a server allows.
  minTokenLength: 16,
  // A worker blocks its event loop while computing one batch (≈0.1 s); 2 s keeps overhead nil.
  heartbeatMs: 2_000,
  // Five missed heartbeats: tolerant of GC pauses and dataset loading, quick enough to rebalance.
  heartbeatTimeoutMs: 10_000,
  joinTimeoutMs: 0,
  helloTimeoutMs: 10_000,
  // Fits the larger model's fp32 weights (≈5 M floats = 20 MB) with room; larger frames are hostile.
  maxFrameBytes: 64 * 1024 * 1024,
  // Mean gradients of a CNN's batch are O(1); 1e6 keeps Adam's squared moments finite (1e12 ≪ 3.4e38).
  maxGradientAbs: 1e6,
  // Off by default: measured, an honest worker of an ASP run at batch 8 had a push refused at
  // 1000× the recent median max-abs after ~6,500 steps (gradients shrink as training converges, a
  // hard small batch does not), and recomputing the same batch on rejoin was refused for ever.
  // The absolute bound above is what keeps Adam's moments finite; the spike bound is opt-in.
  gradientSpikeFactor: 0,
  // A worker sends ~2 frames per step (push + heartbeat); 200/s leaves headroom for tiny models.
  rateLimit: { framesPerSec: 200, burst: 400 },
  transportLimits: DEFAULT_TRANSPORT_LIMITS,
  joinBackoff: DEFAULT_JOIN_BACKOFF,
  checkpointDir: undefined,
  checkpointEverySteps: 100,
  checkpointEverySeconds: 60,
  checkpointsKept: 3,
  resume: false,
  frozen: [],
  tls: undefined,
  shards: [],
  // A shard started beside the coordinator (compose, a StatefulSet) may take a while to listen.
  shardConnectTimeoutMs: 30_000,
};

export class ServerConfigError extends CodedError<'PS_ERR_BAD_OPTION' | 'PS_ERR_INSECURE_BIND'> {}

/** 127.0.0.0/8, ::1 and localhost: addresses only this machine reaches. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * The listening rules every dtrain listener keeps (the server, a shard): without --host, every
 * interface with a token and this machine only without one; a token shorter than the floor is no
 * authentication; an address other machines reach needs a token unless the network is declared
 * trusted. Each caller says why in its own words.
 */
export const listenRules = {
  defaultHost: (token: string | undefined): string => (token === undefined ? '127.0.0.1' : DEFAULT_SERVER_OPTIONS.host),
  tooShort: (token: string | undefined, minLength: number): boolean => token !== undefined && token.length < minLength,
  exposedWithoutToken: (host: string, token: string | undefined, insecure: boolean): boolean => token === undefined && !isLoopback(host) && !insecure,
};

/** The codec of the weight deltas sent down: `weightsCompression`, or the gradients' when unset. */
export function weightsCodec(o: Pick<ServerOptions, 'compression' | 'weightsCompression'>): string {
  return o.weightsCompression ?? o.compression;
}

/** The codec kinds a worker must decode and encode to take part in a run with these options. */
export function requiredCodecs(o: Pick<ServerOptions, 'compression' | 'weightsCompression'>): string[] {
  return [...new Set([o.compression, weightsCodec(o)].map((s) => parseCompression(s).kind))];
}

export function resolveServerOptions(partial: Partial<Omit<ServerOptions, 'run'>> & { run?: Partial<RunConfig> }): ServerOptions {
  const o: ServerOptions = { ...DEFAULT_SERVER_OPTIONS, run: resolveRunConfig(partial.run ?? {}) };
  for (const [k, v] of Object.entries(partial)) if (v !== undefined && k !== 'run') (o as unknown as Record<string, unknown>)[k] = v;
  const bad = (field: string, why: string): never => {
    throw new ServerConfigError('PS_ERR_BAD_OPTION', `${field} ${why}`, { field });
  };
  const int = (field: keyof ServerOptions, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    const v = o[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) bad(field, `must be an integer in ${min}..${max}, got ${String(v)}`);
  };
  int('port', 0, 65535);
  int('workers', 1, o.maxWorkers);
  int('maxWorkers', 1, 100_000);
  int('staleness', 0, 1_000_000);
  int('backupWorkers', 0, Math.max(0, o.workers - 1));
  int('heartbeatMs', 10);
  int('heartbeatTimeoutMs', o.heartbeatMs);
  int('joinTimeoutMs', 0);
  int('helloTimeoutMs', 1);
  int('maxFrameBytes', 1024);
  if (!(o.maxGradientAbs > 0 && o.maxGradientAbs <= 1e18)) bad('maxGradientAbs', 'must be in (0, 1e18]');
  if (!(o.gradientSpikeFactor === 0 || (o.gradientSpikeFactor >= 2 && Number.isFinite(o.gradientSpikeFactor)))) bad('gradientSpikeFactor', 'must be 0 (off) or at least 2');
  int('checkpointEverySteps', 0);
  int('checkpointEverySeconds', 0);
  int('checkpointsKept', 1);
  if (!(SYNC_KINDS as readonly string[]).includes(o.mode)) bad('mode', `must be one of ${SYNC_KINDS.join(', ')}`);
  for (const field of ['compression', 'weightsCompression'] as const) {
    const spec = o[field];
    if (spec === undefined) continue;
    try {
      parseCompression(spec);
    } catch (e) {
      bad(field, (e as Error).message);
    }
  }
  if (o.shares !== 'even' && o.shares !== 'throughput') bad('shares', 'must be even or throughput');
  if (!(SHARD_STRATEGIES as readonly string[]).includes(o.shardStrategy)) bad('shardStrategy', `must be one of ${SHARD_STRATEGIES.join(', ')}`);
  if (partial.host === undefined) o.host = listenRules.defaultHost(o.token);
  int('minTokenLength', 1, 4096);
  if (listenRules.tooShort(o.token, o.minTokenLength))
    bad('token', `must be at least ${o.minTokenLength} characters (e.g. head -c 32 /dev/urandom | base64), got ${o.token!.length}`);
  if (listenRules.exposedWithoutToken(o.host, o.token, o.insecure))
    throw new ServerConfigError(
      'PS_ERR_INSECURE_BIND',
      `refusing to listen on ${o.host} without a token: anyone who reaches it could join and push gradients. Give --token-file (or DTRAIN_TOKEN), listen on 127.0.0.1, or pass --insecure on a trusted network`,
      { field: 'host', host: o.host },
    );
  if (o.resume && !o.checkpointDir) bad('resume', 'needs a checkpoint directory');
  int('shardConnectTimeoutMs', 1);
  if (o.shards.length > 64) bad('shards', `at most 64 shards, got ${o.shards.length}`);
  for (const url of o.shards) if (!/^wss?:\/\/[^\s/]+/.test(url)) bad('shards', `must be ws:// or wss:// URLs, got ${JSON.stringify(url.slice(0, 80))}`);
  if (new Set(o.shards).size !== o.shards.length) bad('shards', 'names the same shard twice');
  o.transportLimits = { ...DEFAULT_TRANSPORT_LIMITS, ...partial.transportLimits };
  for (const [k, v] of Object.entries(o.transportLimits)) if (!(Number.isInteger(v) && v >= 1)) bad(`transportLimits.${k}`, `must be a positive integer, got ${String(v)}`);
  if (!(o.rateLimit.framesPerSec > 0 && o.rateLimit.burst >= 1)) bad('rateLimit', 'must allow at least one frame');
  return o;
}
