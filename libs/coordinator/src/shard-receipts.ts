import type { Push } from '@dtrain/protocol';
import type { Member } from './member';
import { PushLedger } from './push-ledger';

/** A push the coordinator may judge: its header and every shard's receipt are in. */
export interface AssembledPush {
  member: Member;
  header: Push;
  /** The first refusal a shard receipted (e.g. PS_ERR_GRADIENT_OUT_OF_RANGE), if any. */
  refusal: string | undefined;
}

interface Pending {
  header: { member: Member; msg: Push; at: number } | undefined;
  shards: Set<number>;
  refusal: string | undefined;
}

/**
 * With sharded servers a push arrives in K + 1 pieces: the worker's header here (samples, loss,
 * step) and one receipt from each shard that holds its slice. Only a push whose every slice is held
 * may be judged, so no update is ever made on some shards and not others. Pieces may come in any
 * order; what waits is bounded (the oldest incomplete push goes first: its worker is slow or gone,
 * and it will be redone).
 */
export class ShardReceipts {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly shards: number,
    private readonly complete: (p: AssembledPush) => void,
    private readonly maxPending: () => number,
    private readonly now: () => number,
  ) {}

  header(member: Member, msg: Push): void {
    const p = this.entry(PushLedger.key(msg.workerId, msg.step));
    p.header = { member, msg, at: this.now() };
    this.check(PushLedger.key(msg.workerId, msg.step), p);
  }

  receipt(shard: number, workerId: string, step: number, code: string | undefined): void {
    const key = PushLedger.key(workerId, step);
    const p = this.entry(key);
    p.shards.add(shard);
    p.refusal ??= code;
    this.check(key, p);
  }

  /**
   * Members whose push header has waited longer than `timeoutMs` for a shard's receipt: a slice lost
   * on its way (the worker's link to that shard dropped), which no retry will bring. Their entries go.
   */
  overdue(timeoutMs: number): Member[] {
    const now = this.now();
    const out: Member[] = [];
    for (const [key, p] of this.pending) {
      if (p.header && now - p.header.at > timeoutMs) {
        out.push(p.header.member);
        this.pending.delete(key);
      }
    }
    return out;
  }

  get size(): number {
    return this.pending.size;
  }

  private entry(key: string): Pending {
    let p = this.pending.get(key);
    if (!p) {
      p = { header: undefined, shards: new Set(), refusal: undefined };
      this.pending.set(key, p);
      while (this.pending.size > this.maxPending()) this.pending.delete(this.pending.keys().next().value as string);
    }
    return p;
  }

  private check(key: string, p: Pending): void {
    if (!p.header || p.shards.size < this.shards) return;
    this.pending.delete(key);
    this.complete({ member: p.header.member, header: p.header.msg, refusal: p.refusal });
  }
}
