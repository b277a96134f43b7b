import { randomBytes } from 'node:crypto';
import type { Clock, Logger } from '@dtrain/common';
import type { Heartbeat, WorkerCapabilities } from '@dtrain/protocol';
import type { CoordinatorEvents } from './coordinator-events';
import type { Member, MemberState, Peer } from './member';
import { newStats } from './member';

/** Members that left or were lost are forgotten beyond this many (oldest first), so ids cannot pile up. */
export const DEFAULT_GONE_MEMBERS_KEPT = 256;

/**
 * Who is in the run: joins (a fresh member, or a reconnect that replaces its old connection),
 * leaves and losses, heartbeat stats, the SSP clocks. Gone members stay for their stats (and so a
 * reconnect keeps its clock), up to a bound.
 */
export class Membership {
  readonly members = new Map<string, Member>();
  private joinSeq = 0;

  constructor(
    private readonly o: { clock: Clock; log: Logger; events?: Partial<CoordinatorEvents>; goneKept?: number },
  ) {}

  get activeCount(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.state === 'active') n++;
    return n;
  }

  /** Active members in join order. */
  active(): Member[] {
    return [...this.members.values()].filter((m) => m.state === 'active').sort((a, b) => a.joinOrder - b.joinOrder);
  }

  get(workerId: string): Member | undefined {
    return this.members.get(workerId);
  }

  /** The id for a worker that names none. */
  defaultId(peer: Peer): string {
    return `w${this.joinSeq + 1}-${peer.id}`;
  }

  /** The lowest SSP clock of the active members (0 with none). */
  minClock(): number {
    let min = Infinity;
    for (const m of this.members.values()) if (m.state === 'active') min = Math.min(min, m.clock);
    return Number.isFinite(min) ? min : 0;
  }

  /** A new member on `peer`; a previous member of that id passes on its clock and stats. */
  add(peer: Peer, workerId: string, caps: WorkerCapabilities): Member {
    const existing = this.members.get(workerId);
    const now = this.o.clock.monotonic();
    const m: Member = {
      workerId,
      session: randomBytes(18).toString('base64url'),
      joinOrder: ++this.joinSeq,
      peer,
      state: 'active',
      joinedAt: now,
      lastSeen: now,
      knownVersion: -1,
      inflight: undefined,
      clock: existing?.clock ?? this.minClock(),
      backend: caps.backend,
      takesPacked: caps.trainableLayout === true,
      stats: existing?.stats ?? newStats(),
    };
    // Re-inserted, so the map's order is the order members were last seen joining.
    this.members.delete(workerId);
    this.members.set(workerId, m);
    this.o.events?.memberChanged?.(m, 'joined');
    return m;
  }

  /**
   * Marks an active member gone and returns the batch it had not finished (if any, and not
   * already given up), so the caller can hand it to someone else. No-op for a member already gone.
   */
  remove(m: Member, state: Exclude<MemberState, 'active'>, reason: string): { unfinished: Uint32Array | undefined } | undefined {
    if (m.state !== 'active') return undefined;
    m.state = state;
    this.o.log.warn(state === 'left' ? 'worker left' : 'worker lost', { worker: m.workerId, reason });
    const inflight = m.inflight;
    m.inflight = undefined;
    this.o.events?.memberChanged?.(m, state);
    this.forgetOldest();
    return { unfinished: inflight && !inflight.cancelled ? inflight.indices : undefined };
  }

  /** The worker's own counters from a heartbeat. */
  heartbeat(m: Member, msg: Heartbeat): void {
    const st = msg.stats;
    if (!st) return;
    m.stats.samplesPerSec = st.samplesPerSec;
    m.stats.rssBytes = st.rssBytes;
    // Heartbeat times are the worker's running totals (a push carries the last step's compute).
    m.stats.reported = { steps: st.step, computeMs: st.computeMs, encodeMs: st.encodeMs ?? 0, tensors: st.tensors ?? -1, peakRssBytes: st.peakRssBytes ?? st.rssBytes };
    if (st.cpuMs !== undefined && st.cpuSteps !== undefined) Object.assign(m.stats.reported, { cpuMs: st.cpuMs, cpuSteps: st.cpuSteps });
    if (st.kernelFallbacks !== undefined) m.stats.reported.kernelFallbacks = st.kernelFallbacks;
  }

  private forgetOldest(): void {
    const kept = this.o.goneKept ?? DEFAULT_GONE_MEMBERS_KEPT;
    let gone = 0;
    for (const m of this.members.values()) if (m.state !== 'active') gone++;
    for (const [id, m] of this.members) {
      if (gone <= kept) return;
      if (m.state === 'active') continue;
      this.members.delete(id);
      gone--;
    }
  }
}
