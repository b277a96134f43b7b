import type { Push } from '@dtrain/protocol';
import { DEFAULT_MAX_BATCH } from '@dtrain/protocol';
import { batchShares } from './batch-shares';
import { equalTimeShares, StepTimeFit } from './step-time-shares';
import type { EpochPlan } from './epoch-plan';
import type { InFlight, Member } from './member';
import { StepBarrier } from './step-barrier';
import type { SyncContext, SyncPolicy } from './sync-policy';

/** BSP plan parts are shards, not members; '#' cannot appear in a worker id, so the two never mix. */
export const shardId = (i: number): string => `#${i}`;

/**
 * Bulk-synchronous parallel: each step is `batchSize` samples from each of the `workers` shards
 * (plus any carried over), split evenly over the active members; the step's update is the
 * sample-weighted mean of their gradients, applied once when the barrier says the step is complete
 * (all chunks in, or all but B with backup workers). So N workers make exactly the update one
 * process would make on the concatenated batch.
 */
export class BspPolicy implements SyncPolicy {
  readonly kind = 'bsp' as const;
  private readonly barrier = new StepBarrier();
  private stepStartedAt = 0;
  /** `--shares throughput`: each member's step time (step opened → push in) as fixed + per-sample ms. */
  private readonly fits = new Map<string, StepTimeFit>();
  private stepOpenedAt = 0;

  constructor(private readonly c: SyncContext) {}

  planParts(): string[] {
    return Array.from({ length: this.c.options.workers }, (_, i) => shardId(i));
  }

  /** Members compute parts of every shard; each is told the shard of its position, for logs. */
  partOf(_m: Member, position: number): string {
    return shardId(position % this.c.options.workers);
  }

  continueEpoch(): void {
    this.startStep();
  }

  resumed(): void {}

  joined(m: Member): void {
    this.c.assign(m);
    // Takes an orphaned chunk of the open step, or a share of the next; an idle run starts that step now.
    if (this.barrier.phase === 'idle') this.startStep();
    else this.dispatchPool();
  }

  gone(m: Member, unfinished: Uint32Array | undefined): void {
    if (unfinished && this.barrier.phase === 'step') this.barrier.park(unfinished);
    else if (unfinished) this.c.plan()?.carry(unfinished);
    if (!this.c.training()) return;
    // Out of the barrier at once; its chunk goes to whoever is free, so the step still covers it.
    if (this.barrier.phase === 'step' && this.barrier.release(m.workerId)) {
      this.dispatchPool();
      this.maybeCompleteStep();
    }
  }

  accepted(m: Member, msg: Push, key: string, inflight: InFlight, staleness: number): void {
    const c = this.c;
    const t0 = c.now();
    c.aggregate.countPush(inflight.indices.length, msg.loss);
    this.barrier.release(m.workerId);
    // The push that completes the step goes into the mean in the same pass (nothing between here and
    // maybeCompleteStep below can reopen the step: the ack and pooled chunks do not change the condition).
    c.addToStep(msg, inflight.indices.length, this.stepIsComplete());
    c.spent('aggregateMs', c.now() - t0);
    // A worker's first push holds its kernel set-up (~0.5 s): fitted, it would starve the worker of
    // samples for the steps the fit takes to forget it. Timed from the step's opening, so a member
    // whose work goes out later (after the others' weights are encoded) gets that much less.
    if (m.stats.pushes > 1 && c.options.shares === 'throughput') {
      const fit = this.fits.get(m.workerId) ?? new StepTimeFit();
      this.fits.set(m.workerId, fit);
      fit.add(inflight.indices.length, m.stats.lastStepMs + Math.max(0, inflight.sentAt - this.stepOpenedAt));
    }
    c.applied(m, msg, key, staleness, inflight);
    this.dispatchPool();
    this.maybeCompleteStep();
  }

  dropped(_m: Member): void {
    // The run may be idle waiting for exactly this member, or the open step may have a chunk for it.
    if (this.barrier.phase === 'idle') this.startStep();
    else this.dispatchPool();
  }

  putBack(plan: EpochPlan, _m: Member, indices: Uint32Array): void {
    plan.carry(indices);
  }

  unapplied(): readonly Uint32Array[] {
    return this.barrier.pooled;
  }

  private startStep(): void {
    const c = this.c;
    const plan = c.plan();
    if (!plan || !c.training()) return;
    this.barrier.clear();
    c.aggregate.reset();
    if (plan.remaining === 0) {
      this.barrier.idle();
      return c.endEpoch();
    }
    // A member still computing a step that completed without it (backup workers) joins once that push is in.
    const active = c.membership.active();
    const members = active.filter((m) => !m.inflight);
    if (members.length === 0) {
      this.barrier.idle();
      return;
    }
    const samples = plan.takeStep(c.options.run.batchSize);
    // The update is the sample-weighted mean either way, so how the batch is split never changes it.
    // Until every member has a fitted step time, the split is even.
    this.stepOpenedAt = c.now();
    const shares =
      (c.options.shares === 'throughput' ? equalTimeShares(samples.length, members.map((m) => this.fits.get(m.workerId)?.model())) : undefined) ??
      batchShares(samples.length, members.length);
    let at = 0;
    members.forEach((m, i) => {
      const n = shares[i] ?? 0;
      if (n === 0) return;
      // A work message carries at most DEFAULT_MAX_BATCH samples; the rest of a share waits in the pool.
      const first = Math.min(n, DEFAULT_MAX_BATCH);
      c.sendWork(m, samples.subarray(at, at + first));
      this.barrier.handOut(m.workerId);
      for (let k = at + first; k < at + n; k += DEFAULT_MAX_BATCH) this.barrier.park(samples.subarray(k, Math.min(at + n, k + DEFAULT_MAX_BATCH)));
      at += n;
    });
    // A straggler still busy with a dropped chunk already is one of the B backups; don't drop more.
    this.barrier.open(Math.max(0, c.options.backupWorkers - (active.length - members.length)));
    this.stepStartedAt = c.now();
  }

  /** Chunks of the open step whose member was lost go to members that are free. */
  private dispatchPool(): void {
    if (this.barrier.phase !== 'step' || !this.c.training()) return;
    for (const m of this.c.membership.active()) {
      const chunk = this.barrier.peekPooled();
      if (!chunk) return;
      if (m.inflight) continue;
      this.barrier.takePooled();
      this.c.sendWork(m, chunk);
      this.barrier.handOut(m.workerId);
    }
  }

  /** The open step has what it waits for (every chunk in, or enough of them with backup workers). */
  private stepIsComplete(): boolean {
    if (!this.c.training()) return false;
    return this.barrier.complete(this.c.aggregate.pushes);
  }

  private maybeCompleteStep(): void {
    if (!this.stepIsComplete()) return;
    const c = this.c;
    const plan = c.plan();
    // Backup workers: whoever is still computing this step will have its push dropped, and its
    // samples are carried into the next step so the epoch still covers every sample.
    const { stragglers, unsent } = this.barrier.close();
    for (const id of stragglers) {
      const m = c.membership.get(id);
      if (m?.inflight && !m.inflight.cancelled) {
        m.inflight.cancelled = true;
        plan?.carry(m.inflight.indices);
      }
    }
    for (const chunk of unsent) plan?.carry(chunk);
    if (c.aggregate.pushes > 0) {
      c.applyStep();
      c.counted(c.aggregate.meanLoss, c.aggregate.samples, c.now() - this.stepStartedAt);
    }
    c.betweenSteps(() => this.startStep());
  }
}
