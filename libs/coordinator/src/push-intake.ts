import type { Logger } from '@dtrain/common';
import type { Push } from '@dtrain/protocol';
import { CLOSE_CODES } from '@dtrain/protocol';
import type { CoordinatorEvents } from './coordinator-events';
import type { GradientGuard } from './gradient-guard';
import type { InFlight, Member } from './member';
import type { Outbox } from './outbox';
import type { ParameterStore } from './parameter-store';
import type { PushLedger } from './push-ledger';
import type { RunAccounting } from './run-accounting';
import type { SampleCoverage } from './sample-coverage';
import type { SyncPolicy } from './sync-policy';

/**
 * A member's push, from frame to verdict: the ledger judges it, refusals are acked with their code
 * and counted, a push the step no longer waits for is dropped, and a valid new one goes to the sync
 * policy with its staleness. `applied` is how a policy records one it used.
 */
export class PushIntake {
  constructor(
    private readonly o: {
      ledger: PushLedger;
      guard: GradientGuard;
      outbox: Outbox;
      accounting: RunAccounting;
      coverage: SampleCoverage;
      store: ParameterStore;
      log: Logger;
      events: Partial<CoordinatorEvents> | undefined;
      now: () => number;
      epoch: () => number;
      policy: () => SyncPolicy;
      /** Takes a member out of the run (its connection is closed by the caller). */
      lose: (m: Member, reason: string) => void;
      /** Sharded: a push that will not be applied, whose slices the shards can drop. */
      forget?: (workerId: string, step: number) => void;
    },
  ) {}

  /** `refusal`: sharded, a shard refused its slice of this push (the gradient guard there). */
  take(m: Member, msg: Push, refusal?: string): void {
    const { ledger, outbox, accounting, log, store } = this.o;
    const totals = accounting.totals;
    const verdict = ledger.judge(m, msg, this.o.now());
    if (verdict.kind !== 'accepted' || refusal) this.o.forget?.(m.workerId, msg.step);
    switch (verdict.kind) {
      case 'bad-shape':
        outbox.ack(m, msg.step, 'rejected', verdict.code);
        // A worker that computes against another model cannot help this run.
        this.o.lose(m, 'gradient of the wrong shape');
        m.peer.close(CLOSE_CODES.policy, 'PROTO_ERR_BAD_SHAPE');
        return;
      case 'refused':
        if (verdict.status === 'duplicate') totals.duplicatePushes++;
        if (verdict.status === 'stale') totals.stalePushes++;
        return outbox.ack(m, msg.step, verdict.status, verdict.code);
      case 'dropped':
        totals.droppedPushes++;
        this.o.events?.pushDropped?.(m);
        outbox.ack(m, msg.step, 'dropped');
        return this.o.policy().dropped(m);
      case 'accepted': {
        // Sharded, each shard's guard checked its slice and receipted a refusal; otherwise it is checked here.
        const insane = refusal ? { maxAbs: NaN, bound: NaN } : msg.grad ? this.o.guard.check(msg.grad) : undefined;
        if (insane) {
          const code = refusal === 'PROTO_ERR_BAD_SHAPE' ? 'PROTO_ERR_BAD_SHAPE' : 'PS_ERR_GRADIENT_OUT_OF_RANGE';
          // Nothing of it is applied; its batch goes to whoever is next, and a worker sending such
          // gradients (broken or hostile) is taken out of the run.
          m.inflight = verdict.inflight;
          outbox.ack(m, msg.step, 'rejected', code);
          log.warn('refused an out-of-range gradient', { worker: m.workerId, max_abs: insane.maxAbs, bound: insane.bound, ...(refusal ? { refused_by_shard: refusal } : {}) });
          this.o.lose(m, code === 'PROTO_ERR_BAD_SHAPE' ? 'gradient of the wrong shape' : 'gradient out of range');
          m.peer.close(CLOSE_CODES.policy, code);
          return;
        }
        // The server's own count weighs the gradient: a worker cannot buy itself a larger say.
        const samples = verdict.inflight.indices.length;
        if (msg.samples !== samples) log.debug('push claims another sample count', { worker: m.workerId, claimed: msg.samples, given: samples });
        const staleness = store.version - verdict.inflight.baseVersion;
        m.stats.lastStaleness = staleness;
        m.stats.maxStaleness = Math.max(m.stats.maxStaleness, staleness);
        return this.o.policy().accepted(m, msg, verdict.key, verdict.inflight, staleness);
      }
    }
  }

  /** A push the policy used (applied alone, or taken into the step's mean): ack, ledger, coverage, log. */
  applied(m: Member, msg: Push, key: string, staleness: number, inflight: InFlight): void {
    this.o.ledger.markApplied(key);
    this.o.coverage.add(inflight.indices);
    const entry = { workerId: m.workerId, step: msg.step, baseVersion: msg.baseVersion, staleness, samples: inflight.indices.length, epoch: this.o.epoch(), stepMs: Math.round(m.stats.lastStepMs) };
    this.o.accounting.applied(m, entry);
    this.o.outbox.ack(m, msg.step, 'applied');
  }

  /** SSP: a push older than the staleness bound allows is refused (its batch is redone). */
  tooStale(m: Member, step: number): void {
    this.o.forget?.(m.workerId, step);
    this.o.accounting.totals.stalePushes++;
    m.stats.rejected++;
    this.o.outbox.ack(m, step, 'stale', 'PS_ERR_STALE_PUSH');
  }
}
