import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { BackendName } from '@dtrain/engine';

export interface ReconnectPolicy {
  /** First retry delay. */
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
  /** Give up when no connection succeeded for this long (0 = never). */
  giveUpAfterMs: number;
}

export interface WorkerOptions {
  serverUrl: string;
  /** Stable id, reused on reconnect so the server can tell a returning worker from a new one. */
  workerId: string;
  token: string | undefined;
  backend: BackendName | 'auto';
  reconnect: ReconnectPolicy;
  maxFrameBytes: number;
  /** CA certificate for wss:// servers with a private CA. */
  caPath: string | undefined;
  /** Accept self-signed server certificates (tests only). */
  insecureTls: boolean;
  /** Added to every step's compute (to simulate a straggler in tests and demos). */
  artificialDelayMs: number;
  /**
   * Run this many times slower than this machine computes: after each step's compute, wait (F − 1)×
   * its duration. A slower device, not a latency: the wait grows with the batch, as a slower
   * device's compute would (1 = off). The wait does not use the CPU.
   */
  slowdownFactor: number;
  /** Dataset cache directory handed to libs/data. */
  cacheDir: string | undefined;
  /**
   * Sharded servers: how long work waits for every shard's slice of its weights before the worker
   * reconnects to resynchronise (a shard link down longer than this).
   */
  shardWaitMs: number;
}

export function defaultWorkerId(): string {
  return `${hostname().replace(/[^A-Za-z0-9._-]/g, '').slice(0, 40) || 'worker'}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = {
  initialDelayMs: 200,
  // Caps the wait once a server is back: a restarted server sees its workers within ~5 s.
  maxDelayMs: 5_000,
  factor: 2,
  // Long enough for a server to be rescheduled by Kubernetes and resume from its checkpoint.
  giveUpAfterMs: 5 * 60_000,
};

/** Beyond a shard's reconnect backoff (5 s), with room for a slow link's full-weights frame. */
export const DEFAULT_SHARD_WAIT_MS = 30_000;

export function resolveWorkerOptions(p: Partial<WorkerOptions> & { serverUrl: string }): WorkerOptions {
  return {
    workerId: defaultWorkerId(),
    token: undefined,
    backend: 'auto',
    reconnect: DEFAULT_RECONNECT,
    // Matches the server's default frame limit.
    maxFrameBytes: 64 * 1024 * 1024,
    caPath: undefined,
    insecureTls: false,
    artificialDelayMs: 0,
    slowdownFactor: 1,
    cacheDir: undefined,
    shardWaitMs: DEFAULT_SHARD_WAIT_MS,
    ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)),
  } as WorkerOptions;
}

/** How long a step waits after its compute took `computeMs`: the fixed delay plus (F − 1)× the compute. */
export function stragglerWaitMs(opts: Pick<WorkerOptions, 'artificialDelayMs' | 'slowdownFactor'>, computeMs: number): number {
  return Math.max(0, opts.artificialDelayMs + (opts.slowdownFactor - 1) * computeMs);
}

/** Exponential backoff with full jitter (AWS architecture blog): uniform in [0, min(max, initial·factor^n)]. */
export function backoffDelay(policy: ReconnectPolicy, attempt: number, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** attempt);
  return Math.max(policy.initialDelayMs / 2, random() * cap);
}
