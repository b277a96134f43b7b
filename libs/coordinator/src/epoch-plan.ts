import type { ShardSpec } from '@dtrain/data';
import { epochOrder, shardIndices } from '@dtrain/data';

import type { ShardStrategy } from '@dtrain/protocol';

export type { ShardStrategy };

/** One member's part of an epoch: the shard spec it started from and the samples still to hand out. */
interface Part {
  spec: ShardSpec;
  queue: number[];
}

export interface EpochPlanSnapshot {
  epoch: number;
  parts: Record<string, { spec: ShardSpec; queue: number[] }>;
  /** Samples whose owner left while nobody else was there; the next member to join takes them. */
  orphans: number[];
}

/**
 * Which samples each member still has to process in one epoch. Starts from the deterministic shards
 * of libs/data (seed, index, count) shuffled per epoch; afterwards it is the single source of truth:
 * a member that leaves hands its remaining samples (and any batch it never finished) to the others,
 * and a member that joins takes an even share from the others' tails — so every sample of the epoch
 * is processed once, whatever the membership does.
 */
export class EpochPlan {
  private readonly parts = new Map<string, Part>();
  private orphans: number[] = [];

  private constructor(readonly epoch: number) {}

  static create(opts: {
    epoch: number;
    members: readonly string[];
    indices: Uint32Array;
    labels: Uint8Array;
    numClasses: number;
    strategy: ShardStrategy;
    seed: number;
  }): EpochPlan {
    const plan = new EpochPlan(opts.epoch);
    const count = opts.members.length;
    // Shards are cut over positions in `indices` (the run's training set), then mapped back.
    const subsetLabels = opts.labels.length === opts.indices.length ? opts.labels : Uint8Array.from(opts.indices, (i) => opts.labels[i] ?? 0);
    opts.members.forEach((id, index) => {
      const spec: ShardSpec = { strategy: opts.strategy, seed: opts.seed, index, count };
      const positions = shardIndices(spec, subsetLabels, opts.numClasses);
      const ordered = epochOrder(positions, opts.seed, opts.epoch);
      plan.parts.set(id, { spec, queue: Array.from(ordered, (p) => opts.indices[p] ?? 0) });
    });
    return plan;
  }

  static restore(s: EpochPlanSnapshot): EpochPlan {
    const plan = new EpochPlan(s.epoch);
    for (const [id, p] of Object.entries(s.parts)) plan.parts.set(id, { spec: { ...p.spec }, queue: [...p.queue] });
    plan.orphans = [...s.orphans];
    return plan;
  }

  snapshot(): EpochPlanSnapshot {
    const parts: EpochPlanSnapshot['parts'] = {};
    for (const [id, p] of this.parts) parts[id] = { spec: { ...p.spec }, queue: [...p.queue] };
    return { epoch: this.epoch, parts, orphans: [...this.orphans] };
  }

  has(id: string): boolean {
    return this.parts.has(id);
  }

  specOf(id: string): ShardSpec | undefined {
    return this.parts.get(id)?.spec;
  }

  remainingOf(id: string): number {
    return this.parts.get(id)?.queue.length ?? 0;
  }

  get remaining(): number {
    let n = this.orphans.length;
    for (const p of this.parts.values()) n += p.queue.length;
    return n;
  }

  get memberIds(): string[] {
    return [...this.parts.keys()];
  }

  /** Up to `batchSize` samples from the front of the member's queue; empty when it has none left. */
  take(id: string, batchSize: number): Uint32Array {
    const p = this.parts.get(id);
    if (!p || p.queue.length === 0) return new Uint32Array(0);
    return Uint32Array.from(p.queue.splice(0, batchSize));
  }

  /**
   * BSP: one step's samples — the carried-over samples first, then `batchSize` from the front of every
   * part in shard order. Parts are shards here, not members, so the step is the same whoever computes it.
   */
  takeStep(batchSize: number): Uint32Array {
    const out: number[] = this.orphans.splice(0);
    for (const p of this.parts.values()) out.push(...p.queue.splice(0, batchSize));
    return Uint32Array.from(out);
  }

  /** BSP: samples a step handed out but did not apply (a dropped straggler); the next step takes them first. */
  carry(samples: ArrayLike<number>): void {
    this.orphans.unshift(...Array.from(samples));
  }

  /** Gives samples (an unfinished batch, a leaver's queue) to the remaining members, evenly. */
  redistribute(samples: ArrayLike<number>, exclude?: string): void {
    const targets = [...this.parts.entries()].filter(([id]) => id !== exclude).map(([, p]) => p);
    if (samples.length === 0) return;
    if (targets.length === 0) {
      // Nobody left to take them: they wait for the next member to join.
      this.orphans.push(...Array.from(samples));
      return;
    }
    // Shortest queues first, so the members finish the epoch together.
    targets.sort((a, b) => a.queue.length - b.queue.length);
    let t = 0;
    for (let i = 0; i < samples.length; i++) {
      targets[t]!.queue.push(samples[i] as number);
      t = (t + 1) % targets.length;
    }
  }

  /** Returns samples to the front of a member's own queue (its batch was refused and must be redone). */
  giveBack(id: string, samples: ArrayLike<number>): void {
    const p = this.parts.get(id);
    if (p) p.queue.unshift(...Array.from(samples));
    else this.redistribute(samples);
  }

  /** Drops a member; its remaining samples move to the others. Returns how many moved. */
  removeMember(id: string): number {
    const p = this.parts.get(id);
    if (!p) return 0;
    this.parts.delete(id);
    this.redistribute(p.queue);
    return p.queue.length;
  }

  /** Adds a member mid-epoch with an even share taken from the tails of the others. */
  addMember(id: string, strategy: ShardStrategy, seed: number): void {
    if (this.parts.has(id)) return;
    const others = [...this.parts.values()];
    const total = others.reduce((n, p) => n + p.queue.length, 0);
    const share = Math.floor(total / (others.length + 1));
    const queue: number[] = this.orphans;
    this.orphans = [];
    // Take from the longest queues first until the newcomer holds an even share.
    while (others.length > 0 && queue.length < share) {
      others.sort((a, b) => b.queue.length - a.queue.length);
      const longest = others[0];
      if (!longest || longest.queue.length <= share) break;
      const n = Math.min(share - queue.length, longest.queue.length - share);
      if (n <= 0) break;
      queue.push(...longest.queue.splice(longest.queue.length - n, n));
    }
    this.parts.set(id, { spec: { strategy, seed, index: this.parts.size, count: this.parts.size + 1 }, queue });
  }

  /** Moves half of the longest other queue (its tail) to `id`; returns how many samples moved. */
  steal(id: string): number {
    const mine = this.parts.get(id);
    if (!mine) return 0;
    let victim: Part | undefined;
    for (const [other, p] of this.parts) if (other !== id && (!victim || p.queue.length > victim.queue.length)) victim = p;
    const n = victim ? Math.floor(victim.queue.length / 2) : 0;
    if (!victim || n === 0) {
      if (this.orphans.length === 0) return 0;
      const o = this.orphans.splice(0);
      mine.queue.push(...o);
      return o.length;
    }
    mine.queue.push(...victim.queue.splice(victim.queue.length - n, n));
    return n;
  }
}
