import type { Clock } from '@dtrain/common';
import type { Message } from '@dtrain/protocol';
import { encodeMessage } from '@dtrain/protocol';
import type { AppliedPush, CoordinatorEvents, RunTotals } from './coordinator-events';
import { emptyRunTotals } from './coordinator-events';
import type { Member } from './member';

/** Entries of the applied-push log kept in memory (and so in checkpoints): the newest ones. */
export const DEFAULT_APPLIED_LOG_LIMIT = 100_000;

/**
 * The run's counters, kept in one place: bytes both ways, refusals by code, updates and samples,
 * the applied-push log (bounded), and the sends that count bytes as they go.
 */
export class RunAccounting {
  readonly totals: RunTotals = emptyRunTotals();
  /** The first update of this process has been timed as warm-up. */
  private warmedUp = false;

  constructor(
    private readonly o: {
      clock: Clock;
      events?: Partial<CoordinatorEvents>;
      version: () => number;
      epoch: () => number;
      appliedLogLimit?: number;
    },
  ) {}

  rejected(code: string): void {
    this.totals.rejectedFrames[code] = (this.totals.rejectedFrames[code] ?? 0) + 1;
    this.o.events?.frameRejected?.(code);
  }

  /** One gradient counted as applied (or, in BSP, taken into the step's mean) for member `m`. */
  applied(m: Member, entry: AppliedPush): void {
    m.stats.applied++;
    m.stats.samples += entry.samples;
    this.totals.appliedPushes++;
    const log = this.totals.appliedLog;
    log.push(entry);
    const limit = this.o.appliedLogLimit ?? DEFAULT_APPLIED_LOG_LIMIT;
    if (log.length > limit + limit / 4) log.splice(0, log.length - limit);
    this.totals.maxStaleness = Math.max(this.totals.maxStaleness, entry.staleness);
  }

  /** Applied-log entries no longer held (the log keeps the newest DEFAULT_APPLIED_LOG_LIMIT). */
  get appliedTrimmed(): number {
    return this.totals.appliedPushes - this.totals.appliedLog.length;
  }

  /** One update of the weights: counts it and tells the listeners. */
  updated(loss: number, samples: number, stepMs: number): void {
    const t = this.totals;
    if (!this.warmedUp) {
      this.warmedUp = true;
      t.warmupMs = this.o.clock.monotonic() - t.startedAt;
      t.warmupSamples = samples;
    }
    t.steps++;
    t.samples += samples;
    t.lastLoss = loss;
    this.o.events?.stepCompleted?.({ step: t.steps, version: this.o.version(), loss, samples, stepMs, epoch: this.o.epoch() });
  }

  send(m: Member, msg: Message): void {
    this.sendFrame(m, encodeMessage(msg));
  }

  sendFrame(m: Member, frame: Uint8Array): void {
    m.stats.bytesOut += frame.byteLength;
    this.totals.bytesOut += frame.byteLength;
    m.peer.send(frame);
  }

  broadcast(members: Iterable<Member>, msg: Message): void {
    const frame = encodeMessage(msg);
    for (const m of members) this.sendFrame(m, frame);
  }
}
