import type { Push, ProtocolErrorCode, WireErrorCode } from '@dtrain/protocol';
import { checkTensorLength } from '@dtrain/protocol';
import { isCodedError } from '@dtrain/common';
import type { InFlight, Member } from './member';

/** Applied (worker, step) keys remembered for duplicate detection: a window, not a set that grows for ever. */
export const DEFAULT_APPLIED_WINDOW = 65_536;

/** What to do with a push, judged against what the member was given. */
export type PushVerdict =
  | { kind: 'bad-shape'; code: WireErrorCode | ProtocolErrorCode }
  | { kind: 'refused'; status: 'rejected' | 'duplicate' | 'stale'; code: WireErrorCode }
  | { kind: 'dropped'; inflight: InFlight }
  | { kind: 'accepted'; inflight: InFlight; key: string };

/**
 * The server's record of pushes: which batch each member has in flight, which (worker, step)
 * pairs were applied (bounded window: a push older than it is no longer in flight, so it is refused
 * as stale instead of duplicate — never applied twice either way), and the member's step-time stats.
 */
export class PushLedger {
  private readonly applied = new Set<string>();

  constructor(
    /** `sliced`: the gradient goes to the shards, so a push here must carry none (and otherwise one). */
    private readonly o: { sizes: { full: number; packed: number | undefined; sliced?: boolean }; window?: number },
  ) {}

  static key(workerId: string, step: number): string {
    return `${workerId}#${step}`;
  }

  /** Judges `msg` from `m` (and, when it is the batch `m` has in flight, closes that batch). */
  judge(m: Member, msg: Push, now: number): PushVerdict {
    m.stats.pushes++;
    const { full, packed, sliced } = this.o.sizes;
    // Sharded, the gradient goes to the shards and the push here is its header; otherwise it carries one.
    if ((sliced === true) !== (msg.grad === undefined)) return this.badShape(m, 'PROTO_ERR_BAD_SHAPE');
    try {
      if (msg.grad) checkTensorLength(msg.grad, msg.grad.length === packed ? packed : full);
    } catch (err) {
      return this.badShape(m, (isCodedError(err) ? err.code : 'PROTO_ERR_BAD_SHAPE') as ProtocolErrorCode);
    }
    if (msg.workerId !== m.workerId) {
      // The connection's join decides who it is; a push naming someone else is refused, not re-attributed.
      m.stats.rejected++;
      return { kind: 'refused', status: 'rejected', code: 'PS_ERR_BAD_WORKER_ID' };
    }
    const key = PushLedger.key(m.workerId, msg.step);
    if (this.applied.has(key)) return { kind: 'refused', status: 'duplicate', code: 'PS_ERR_DUPLICATE_PUSH' };
    const inflight = m.inflight;
    if (!inflight || inflight.step !== msg.step || inflight.baseVersion !== msg.baseVersion) {
      m.stats.rejected++;
      return { kind: 'refused', status: 'stale', code: 'PS_ERR_STALE_PUSH' };
    }
    m.inflight = undefined;
    const elapsed = now - inflight.sentAt;
    m.stats.lastStepMs = elapsed;
    m.stats.stepMsTotal += elapsed;
    if (msg.computeMs !== undefined) {
      m.stats.lastComputeMs = msg.computeMs;
      // A worker's first push includes kernel set-up; it would skew a short run's mean.
      if (m.stats.pushes > 1) {
        m.stats.computeMsTotal += msg.computeMs;
        m.stats.computePushes++;
      }
    }
    if (inflight.cancelled) {
      m.stats.dropped++;
      return { kind: 'dropped', inflight };
    }
    return { kind: 'accepted', inflight, key };
  }

  private badShape(m: Member, code: ProtocolErrorCode): PushVerdict {
    m.stats.rejected++;
    return { kind: 'bad-shape', code };
  }

  markApplied(key: string): void {
    this.applied.add(key);
    const window = this.o.window ?? DEFAULT_APPLIED_WINDOW;
    if (this.applied.size <= window) return;
    // A Set iterates in insertion order: the first key is the oldest.
    for (const k of this.applied) {
      this.applied.delete(k);
      if (this.applied.size <= window) return;
    }
  }

  snapshot(): string[] {
    return [...this.applied];
  }

  restore(keys: readonly string[]): void {
    for (const k of keys) this.markApplied(k);
  }

  get size(): number {
    return this.applied.size;
  }
}
