import type { Push, SyncKind } from '@dtrain/protocol';
import type { EpochPlan } from './epoch-plan';
import type { InFlight, Member } from './member';
import type { Membership } from './membership';
import type { ServerOptions } from './server-options';
import type { StepAggregate } from './step-aggregate';

/**
 * What a sync policy may use of the coordinator: the plan of the epoch, the members, handing out
 * work, applying an update, and ending the epoch. The coordinator implements it; policies never see
 * sockets, checkpoints or telemetry.
 */
export interface SyncContext {
  readonly options: ServerOptions;
  readonly membership: Membership;
  readonly aggregate: StepAggregate;
  /** The epoch's plan (undefined between epochs). */
  plan(): EpochPlan | undefined;
  /** True while the run is training (not waiting, evaluating or over). */
  training(): boolean;
  /** Sends `m` the weights it lacks and a batch of these samples, under the next step number. */
  sendWork(m: Member, indices: Uint32Array): void;
  /** Counts an accepted push as applied (ack, coverage, stats). */
  applied(m: Member, msg: Push, key: string, staleness: number, inflight: InFlight): void;
  /** SSP: refuses a push older than the staleness bound (ack stale, counted). */
  tooStale(m: Member, step: number): void;
  /** BSP: adds an accepted push to the open step (`last`: it completes the step). */
  addToStep(msg: Push, samples: number, last: boolean): void;
  /** BSP: makes the open step's update (the sample-weighted mean), at the schedule's learning rate. */
  applyStep(): void;
  /** ASP/SSP: makes one push's gradient an update of its own. */
  applyPush(msg: Push, samples: number): void;
  /** Counts the update just applied (totals, step event). */
  counted(loss: number, samples: number, stepMs: number): void;
  /** Between steps: maybe checkpoint (synchronously with respect to training), then `next`. */
  betweenSteps(next: () => void): void;
  /** ASP/SSP: maybe checkpoint without pausing. */
  checkpointSoon(): void;
  /** The epoch's samples are all applied: evaluate, then the next epoch or the end. */
  endEpoch(): void;
  now(): number;
  /** Server time spent aggregating or applying, for the step-time breakdown. */
  spent(what: 'aggregateMs' | 'applyMs', ms: number): void;
  /** Tells `m` which part of the epoch's plan is its own (for logs and the dashboard). */
  assign(m: Member): void;
}

/**
 * How updates are made from pushes: BSP (a barrier per step, one mean update) or the asynchronous
 * modes (ASP, SSP: every push is an update, SSP bounds how far ahead a member may run).
 */
export interface SyncPolicy {
  readonly kind: SyncKind;
  /** The parts the epoch's plan is cut into (member ids, or fixed shards). */
  planParts(): string[];
  /** The plan part `m`, the `position`-th active member, is told is its own. */
  partOf(m: Member, position: number): string;
  /** A run resumed mid-epoch: adapt the restored plan to who is here. */
  resumed(): void;
  /** The epoch starts or resumes: hand out the first work. */
  continueEpoch(): void;
  /** A member joined a run in progress. */
  joined(m: Member): void;
  /** A member is gone; `unfinished` is the batch it had not pushed. */
  gone(m: Member, unfinished: Uint32Array | undefined): void;
  /** A push of the batch `m` had in flight, already judged valid and new. */
  accepted(m: Member, msg: Push, key: string, inflight: InFlight, staleness: number): void;
  /** A push of a batch the step no longer waited for (BSP backup workers). */
  dropped(m: Member): void;
  /** For a checkpoint: puts a batch `m` has in flight back into (a copy of) the plan. */
  putBack(plan: EpochPlan, m: Member, indices: Uint32Array): void;
  /** Work cut for the open step but not handed out, for a checkpoint to put back into the plan. */
  unapplied(): readonly Uint32Array[];
}
