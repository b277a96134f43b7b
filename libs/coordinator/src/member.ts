import type { TimerHandle } from '@dtrain/common';

/** What the server knows of one connection that is, or may become, a worker. */
export interface Peer {
  readonly id: number;
  readonly remote: string;
  send(frame: Uint8Array): void;
  close(code: number, reason: string): void;
  /** The connection joined: lift the limits on connections that have not (see TransportLimits). */
  admitted?(): void;
  /** More is queued for this peer than the transport allows: skip what can wait (stale weights). */
  backlogged?(): boolean;
}

export type MemberState = 'active' | 'lost' | 'left';

export interface InFlight {
  step: number;
  baseVersion: number;
  indices: Uint32Array;
  sentAt: number;
  /** Set when a BSP step completed without this push (backup workers): it will be dropped. */
  cancelled: boolean;
}

export interface MemberStats {
  pushes: number;
  applied: number;
  dropped: number;
  rejected: number;
  samples: number;
  bytesIn: number;
  bytesOut: number;
  lastStepMs: number;
  /** Samples in the last batch handed to it: its share of a BSP step (see --shares). */
  lastBatch: number;
  stepMsTotal: number;
  lastComputeMs: number;
  maxStaleness: number;
  lastStaleness: number;
  samplesPerSec: number;
  rssBytes: number;
  /** Sum of the compute times the worker's applied or dropped pushes reported. */
  computeMsTotal: number;
  /** Pushes counted in computeMsTotal (each worker's first, warm-up, push is not). */
  computePushes: number;
  /** The worker's own cumulative counters from its last heartbeat (step-time breakdown, leak watch). */
  reported: { steps: number; computeMs: number; encodeMs: number; tensors: number; peakRssBytes: number; cpuMs?: number; cpuSteps?: number; kernelFallbacks?: string[] } | undefined;
}

export interface Member {
  readonly workerId: string;
  /** The secret its welcome carried: a join under this id must show it to replace a live connection. */
  readonly session: string;
  readonly joinOrder: number;
  peer: Peer;
  state: MemberState;
  joinedAt: number;
  lastSeen: number;
  /** Version of the weights this worker holds (what it computes against). */
  knownVersion: number;
  inflight: InFlight | undefined;
  /** Updates of this worker applied so far (its SSP clock). */
  clock: number;
  backend: string;
  /** The worker takes weights frames of only the weights that train (capabilities.trainableLayout). */
  takesPacked: boolean;
  stats: MemberStats;
  helloTimer?: TimerHandle;
}

export function newStats(): MemberStats {
  return {
    pushes: 0,
    applied: 0,
    dropped: 0,
    rejected: 0,
    samples: 0,
    bytesIn: 0,
    bytesOut: 0,
    lastStepMs: 0,
    lastBatch: 0,
    stepMsTotal: 0,
    lastComputeMs: 0,
    maxStaleness: 0,
    lastStaleness: 0,
    samplesPerSec: 0,
    rssBytes: 0,
    computeMsTotal: 0,
    computePushes: 0,
    reported: undefined,
  };
}
