/**
 * BSP only. 'step': a step is open and waits for its chunks. 'between': the step is applied and
 * the next one starts after a checkpoint. 'idle': nobody could be given work (no member, or all still
 * computing a step that completed without them); a join or a late push starts the next step.
 */
export type BspPhase = 'step' | 'between' | 'idle';

/**
 * The BSP step's bookkeeping: which members compute a chunk of the open step, which chunks wait for a
 * free member, and when the step has enough of them. Who computes what is the coordinator's call.
 */
export class StepBarrier {
  private current: BspPhase = 'idle';
  /** Members computing a chunk of the open step. */
  private readonly computing = new Set<string>();
  /** Chunks of the open step nobody computes yet (split off a share, or their member was lost). */
  private pool: Uint32Array[] = [];
  /** Pushes that complete the open step (its chunks minus backup workers). */
  private needed = 0;

  get phase(): BspPhase {
    return this.current;
  }

  /** Chunks of the open step not handed to any member. */
  get pooled(): readonly Uint32Array[] {
    return this.pool;
  }

  /** Forgets the last step's members and chunks, before the next one is cut. */
  clear(): void {
    this.computing.clear();
    this.pool = [];
  }

  /** No step could be opened; a join or a late push starts the next. */
  idle(): void {
    this.current = 'idle';
  }

  /** `workerId` computes a chunk of the step. */
  handOut(workerId: string): void {
    this.computing.add(workerId);
  }

  /** A chunk of the step waits for a free member. */
  park(chunk: Uint32Array): void {
    this.pool.push(chunk);
  }

  /** The next waiting chunk, left in the pool. */
  peekPooled(): Uint32Array | undefined {
    return this.pool[0];
  }

  takePooled(): Uint32Array | undefined {
    return this.pool.shift();
  }

  /** Opens the step cut since `clear`: it completes with every chunk in, or all but `backups` of them (at least one). */
  open(backups: number): void {
    this.current = 'step';
    this.needed = Math.max(1, this.computing.size + this.pool.length - backups);
  }

  /** Stops waiting for `workerId` (its push is in, or it is gone); false if it computed nothing of the step. */
  release(workerId: string): boolean {
    return this.computing.delete(workerId);
  }

  /** The open step has what it waits for, `pushes` of its chunks being in. */
  complete(pushes: number): boolean {
    if (this.current !== 'step') return false;
    const allIn = this.computing.size === 0 && this.pool.length === 0;
    // Wait for chunks still being computed, or pooled until a member is free (or joins), unless enough are in.
    return allIn || pushes >= this.needed;
  }

  /** Ends the step: the members still computing (backups, whose pushes will be dropped) and the chunks never handed out. */
  close(): { stragglers: string[]; unsent: Uint32Array[] } {
    const out = { stragglers: [...this.computing], unsent: this.pool };
    this.clear();
    this.current = 'between';
    return out;
  }
}
