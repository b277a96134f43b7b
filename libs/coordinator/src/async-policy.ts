import type { Push } from '@dtrain/protocol';
import type { EpochPlan } from './epoch-plan';
import type { InFlight, Member } from './member';
import type { SyncContext, SyncPolicy } from './sync-policy';

/**
 * The asynchronous modes: every push is an update of its own. ASP never waits; SSP (stale
 * synchronous parallel, Ho et al. 2013) parks a member whose clock is more than `staleness` ahead
 * of the slowest one and refuses a push computed against weights older than that bound. Each
 * member owns a shard of the epoch; an idle member steals half of the longest queue.
 */
export class AsyncPolicy implements SyncPolicy {
  constructor(
    readonly kind: 'asp' | 'ssp',
    private readonly c: SyncContext,
  ) {}

  planParts(): string[] {
    return this.c.membership.active().map((m) => m.workerId);
  }

  partOf(m: Member): string {
    return m.workerId;
  }

  continueEpoch(): void {
    for (const m of this.c.membership.active()) this.dispatch(m);
  }

  /** The saved plan's owners may be gone: re-home their work to who is here. */
  resumed(): void {
    const plan = this.c.plan();
    if (!plan) return;
    const { membership, options } = this.c;
    for (const id of plan.memberIds) if (membership.get(id)?.state !== 'active') plan.removeMember(id);
    for (const m of membership.active()) if (!plan.has(m.workerId)) plan.addMember(m.workerId, options.shardStrategy, options.run.seed);
  }

  joined(m: Member): void {
    const { options } = this.c;
    this.c.plan()?.addMember(m.workerId, options.shardStrategy, options.run.seed);
    this.c.assign(m);
    this.dispatch(m);
  }

  gone(m: Member, unfinished: Uint32Array | undefined): void {
    const plan = this.c.plan();
    if (plan) {
      if (unfinished) plan.redistribute(unfinished, m.workerId);
      plan.removeMember(m.workerId);
    }
    if (!this.c.training()) return;
    this.releaseParked();
    this.maybeEndEpoch();
  }

  accepted(m: Member, msg: Push, key: string, inflight: InFlight, staleness: number): void {
    const c = this.c;
    if (this.kind === 'ssp' && staleness > c.options.staleness) {
      // Too old to apply: its samples go back to the front of the worker's queue and are redone.
      c.plan()?.giveBack(m.workerId, inflight.indices);
      c.tooStale(m, msg.step);
      this.dispatch(m);
      return;
    }
    c.applyPush(msg, inflight.indices.length);
    c.applied(m, msg, key, staleness, inflight);
    c.counted(msg.loss, inflight.indices.length, m.stats.lastStepMs);
    m.clock++;
    this.dispatch(m);
    this.releaseParked();
    c.checkpointSoon();
    this.maybeEndEpoch();
  }

  dropped(): void {}

  putBack(plan: EpochPlan, m: Member, indices: Uint32Array): void {
    plan.giveBack(m.workerId, indices);
  }

  unapplied(): readonly Uint32Array[] {
    return [];
  }

  /** Gives one member its next batch, unless SSP says it is too far ahead. */
  private dispatch(m: Member): void {
    const c = this.c;
    const plan = c.plan();
    if (!plan || !c.training() || m.state !== 'active' || m.inflight) return;
    if (this.kind === 'ssp' && m.clock - c.membership.minClock() > c.options.staleness) return; // parked
    let indices = plan.take(m.workerId, c.options.run.batchSize);
    // Asynchronous modes never wait for a slow member's shard: an idle member takes half of the longest queue.
    if (indices.length === 0 && plan.steal(m.workerId) > 0) indices = plan.take(m.workerId, c.options.run.batchSize);
    if (indices.length === 0) return this.maybeEndEpoch();
    c.sendWork(m, indices);
  }

  /** SSP: members parked for running ahead may go once the slowest has caught up. */
  private releaseParked(): void {
    if (this.kind === 'asp' || !this.c.training()) return;
    for (const m of this.c.membership.active()) if (!m.inflight) this.dispatch(m);
  }

  private maybeEndEpoch(): void {
    const plan = this.c.plan();
    if (!this.c.training() || !plan || plan.remaining > 0) return;
    for (const m of this.c.membership.active()) if (m.inflight) return;
    this.c.endEpoch();
  }
}
