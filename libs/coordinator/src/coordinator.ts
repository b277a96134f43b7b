import type { TimerHandle } from '@dtrain/common';
import type { Message, ProtocolErrorCode } from '@dtrain/protocol';
import { CLOSE_CODES, PROTOCOL_VERSION, ProtocolError } from '@dtrain/protocol';
import type { EvaluationReport } from '@dtrain/training';
import type { CheckpointState } from './checkpoint-state';
import type { CoordinatorDeps, CoordinatorState } from './coordinator-deps';
import type { RunTotals } from './coordinator-events';
import { CoordinatorError } from './coordinator-error';
import type { CoordinatorParts } from './coordinator-parts';
import { assembleParts } from './coordinator-parts';
import { EpochPlan } from './epoch-plan';
import type { Member, Peer } from './member';
import { captureRunState, restoreRunState } from './run-snapshot';
import type { GatheredState } from './shard-plane';

export type { CoordinatorDeps, CoordinatorState, TrainingData } from './coordinator-deps';

/**
 * The parameter server's epoch loop, independent of sockets: frames in, frames out through
 * `Peer`s, time through the injected clock. One instance runs one training job to the end. The
 * parts it composes each hold one concept: the connection gate (before a frame is a message),
 * membership, the push ledger, the sync policy (BSP or ASP/SSP: how pushes become updates), run
 * accounting and checkpoints.
 */
export class Coordinator {
  state: CoordinatorState = 'waiting';
  readonly done: Promise<RunTotals>;
  private readonly p: CoordinatorParts;
  private plan: EpochPlan | undefined;
  private epoch = 0;
  private started = false;
  private lastReport: EvaluationReport | undefined;
  private joinTimer: TimerHandle | undefined;
  private resolveDone!: (t: RunTotals) => void;
  private rejectDone!: (e: unknown) => void;

  constructor(private readonly d: CoordinatorDeps) {
    this.p = assembleParts(d, {
      state: () => this.state,
      epoch: () => this.epoch,
      plan: () => this.plan,
      started: () => this.started,
      begin: () => this.begin(),
      endEpoch: () => void this.endEpoch(),
      checkpointNow: () => this.checkpointNow(),
      shardLost: (k, why) => this.shardLost(k, why),
    });
    this.done = new Promise((res, rej) => {
      this.resolveDone = res;
      this.rejectDone = rej;
    });
    this.done.catch(() => undefined);
    if (d.restored) ({ epoch: this.epoch, plan: this.plan, report: this.lastReport } = restoreRunState(this.p, d.restored));
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  start(): void {
    const { clock, options } = this.d;
    if (this.d.restored?.finished) {
      this.state = 'finished';
      this.d.log.info('the checkpoint is of a finished run: nothing left to train', { updates: this.totals.steps, version: this.version });
      this.resolveDone(this.totals);
      return;
    }
    this.p.liveness.start();
    if (options.joinTimeoutMs > 0)
      this.joinTimer = clock.setTimeout(() => {
        if (!this.started)
          this.fail(new CoordinatorError('PS_ERR_JOIN_TIMEOUT', `only ${this.activeCount} of ${options.workers} workers joined within ${options.joinTimeoutMs} ms`));
      }, options.joinTimeoutMs);
  }

  /** Stops the run now: workers are told, connections closed, `done` rejects if not finished. */
  stop(reason = 'stopped'): void {
    if (this.state === 'finished') return;
    this.state = 'finished';
    this.broadcast({ type: 'done', v: PROTOCOL_VERSION, reason: 'stopped', summary: { reason } });
    this.teardown();
    this.rejectDone(new CoordinatorError('PS_ERR_STOPPED', `run stopped before it finished: ${reason}`));
  }

  /**
   * Stops this server process but not the run: writes a checkpoint (when configured) and closes the
   * connections without telling workers the run is over, so they keep reconnecting until a server
   * started with --resume takes over (a Kubernetes reschedule, a rolling restart).
   */
  async suspend(reason = 'suspended'): Promise<void> {
    if (this.state === 'finished') return;
    if (this.p.checkpoints.enabled && this.state !== 'waiting') await this.checkpointNow();
    if ((this.state as CoordinatorState) === 'finished') return;
    this.state = 'finished';
    this.teardown(CLOSE_CODES.goingAway, 'server restarting');
    this.rejectDone(new CoordinatorError('PS_ERR_STOPPED', `server suspended: ${reason}`, { suspended: true }));
  }

  get members(): ReadonlyMap<string, Member> {
    return this.p.membership.members;
  }

  get totals(): RunTotals {
    return this.p.accounting.totals;
  }

  get activeCount(): number {
    return this.p.membership.activeCount;
  }

  get version(): number {
    return this.d.store.version;
  }

  get currentEpoch(): number {
    return this.epoch;
  }

  get currentStep(): number {
    return this.p.outbox.step;
  }

  get report(): EvaluationReport | undefined {
    return this.lastReport;
  }

  // ---- transport events (through the gate) -------------------------------------------------------

  connect(peer: Peer): void {
    this.p.gate.connect(peer);
  }

  disconnect(peer: Peer): void {
    this.p.gate.disconnect(peer);
  }

  frame(peer: Peer, bytes: Uint8Array): void {
    this.p.gate.frame(peer, bytes);
  }

  /** A bearer token in an upgrade request: right, or wrong and how long to hold the refusal. */
  authenticate(token: string, address: string): { ok: boolean; holdMs: number } {
    return this.p.desk.authenticate(token, address);
  }

  transportError(peer: Peer, code: ProtocolErrorCode, message: string): void {
    this.p.gate.transportError(peer, code, message);
  }

  // ---- the epoch loop ----------------------------------------------------------------------------

  private begin(): void {
    this.started = true;
    if (this.joinTimer) this.d.clock.clearTimeout(this.joinTimer);
    this.state = 'training';
    this.totals.startedAt = this.d.clock.monotonic();
    this.d.log.info('training starts', { workers: this.activeCount, mode: this.d.options.mode, epochs: this.d.options.run.epochs });
    // Resumed from a checkpoint taken after the last epoch: nothing left to train.
    if (this.epoch >= this.d.options.run.epochs) return void this.endEpoch();
    if (!this.plan) return this.startEpoch(this.epoch);
    // Resumed from a checkpoint mid-epoch.
    this.p.policy.resumed();
    for (const m of this.p.membership.active()) this.p.assign(m);
    this.p.policy.continueEpoch();
  }

  private startEpoch(epoch: number): void {
    const { options, data } = this.d;
    this.epoch = epoch;
    this.p.coverage.reset();
    // BSP cuts the epoch into `workers` shards whoever is active, so membership never changes what a step holds.
    this.plan = EpochPlan.create({
      epoch,
      members: this.p.policy.planParts(),
      indices: data.indices,
      labels: data.labels,
      numClasses: data.numClasses,
      strategy: options.shardStrategy,
      seed: options.run.seed,
    });
    for (const m of this.p.membership.active()) this.p.assign(m);
    this.d.events?.epochStarted?.(epoch);
    this.p.policy.continueEpoch();
  }

  private async endEpoch(): Promise<void> {
    const { options, log, clock } = this.d;
    this.state = 'evaluating';
    this.totals.trainMs += clock.monotonic() - (this.totals.startedAt || clock.monotonic());
    try {
      const coverage = this.p.coverage.report(this.epoch);
      this.totals.coverage.push(coverage);
      if (coverage.missed > 0 || coverage.repeated > 0) log.error('epoch did not apply every sample exactly once', { ...coverage });
      else log.info('epoch coverage', { ...coverage });
      await this.syncWeights();
      const report = await this.d.evaluate(this.d.store.weights);
      this.lastReport = report;
      this.totals.epochsDone = this.epoch + 1;
      log.info('epoch done', { epoch: this.epoch + 1, test_accuracy: +report.accuracy.toFixed(4), loss: +this.totals.lastLoss.toFixed(4), version: this.version });
      this.d.events?.epochCompleted?.(this.epoch, report);
    } catch (err) {
      return this.fail(err);
    }
    if (this.state !== 'evaluating') return; // stopped meanwhile
    this.totals.startedAt = clock.monotonic();
    this.state = 'training';
    if (this.epoch + 1 >= options.run.epochs) return this.finish();
    // The checkpoint taken here says "start the next epoch afresh", so a resume never redoes this one.
    this.plan = undefined;
    this.epoch++;
    this.p.coverage.reset();
    await this.checkpointNow();
    if (this.state === 'training') this.startEpoch(this.epoch);
  }

  private finish(): void {
    this.state = 'finished';
    this.totals.trainMs = Math.max(this.totals.trainMs, 1);
    this.broadcast({ type: 'done', v: PROTOCOL_VERSION, reason: 'finished', summary: { steps: this.totals.steps, version: this.version, accuracy: this.lastReport?.accuracy ?? null } });
    this.teardown();
    // A last checkpoint that says the run is over: a server restarted on this volume (a StatefulSet
    // restart after the run) reports the result instead of training the last epoch again.
    void this.checkpointNow({ finished: true }).then(() => this.resolveDone(this.totals));
  }

  /**
   * A shard is gone. No update may be made on some shards and not others, so the run stops here:
   * with checkpoints it is suspended (workers wait and reconnect; a coordinator started with
   * --resume re-opens every shard at the last checkpoint's version), otherwise it fails.
   */
  private shardLost(k: number, why: string): void {
    if (this.state === 'finished') return;
    const resumable = this.p.checkpoints.enabled;
    const err = new CoordinatorError('PS_ERR_SHARD_LOST', `shard ${k} is gone (${why})${resumable ? '; --resume continues from the last checkpoint' : ''}`, { shard: k, suspended: resumable });
    if (!resumable) return this.fail(err);
    this.d.log.error('a shard is gone: suspending the run', { shard: k, why, version: this.version });
    this.state = 'finished';
    this.teardown(CLOSE_CODES.goingAway, 'shard lost');
    this.rejectDone(err);
  }

  /**
   * Sharded: brings the store's replica of the weights to the current version (before they are read);
   * resolves with the bytes each shard has moved so far (undefined with one server).
   */
  async syncWeights(): Promise<GatheredState['traffic'] | undefined> {
    const shards = this.d.shards;
    if (!shards) return undefined;
    const g = await shards.gather(false);
    if (g.version !== this.d.store.version) throw new CoordinatorError('PS_ERR_SHARD_MISMATCH', `the shards are at version ${g.version}, the coordinator at ${this.d.store.version}`);
    this.d.store.adopt(g.weights);
    return g.traffic;
  }

  private fail(err: unknown): void {
    if (this.state === 'finished') return;
    this.state = 'finished';
    this.d.log.error('run failed', { error: String((err as Error)?.message ?? err) });
    this.broadcast({ type: 'done', v: PROTOCOL_VERSION, reason: 'failed', summary: { error: String((err as Error)?.message ?? err) } });
    this.teardown();
    this.rejectDone(err);
  }

  private teardown(code: number = CLOSE_CODES.normal, why = 'run over'): void {
    this.p.liveness.stop();
    if (this.joinTimer) this.d.clock.clearTimeout(this.joinTimer);
    this.p.gate.closeAll(code, why);
  }

  private broadcast(msg: Message): void {
    this.p.outbox.broadcast(this.p.membership.active(), msg);
  }

  // ---- checkpoints -------------------------------------------------------------------------------

  private async checkpointNow(extra: Pick<CheckpointState, 'finished'> = {}): Promise<void> {
    const shards = this.d.shards;
    if (!shards || !this.p.checkpoints.enabled) return this.p.checkpoints.writeNow(() => ({ ...this.captureState(), ...extra }));
    // Sharded: the run's position now, and every slice at this same version (the gather is sent in
    // this tick, behind every verdict so far), written as one checkpoint of the whole model.
    const captured = { ...this.captureState(), ...extra };
    let gathered;
    try {
      gathered = await shards.gather(true);
    } catch (err) {
      this.d.log.error('checkpoint failed: the shards could not be gathered', { error: String((err as Error).message) });
      return;
    }
    if (gathered.version !== captured.version) {
      this.d.log.error('checkpoint failed: the shards answered at another version', { shards: gathered.version, coordinator: captured.version });
      return;
    }
    const { version, weights, optimizer } = gathered;
    return this.p.checkpoints.writeNow(() => ({ ...captured, store: { version, weights, optimizer } }));
  }

  captureState(): CheckpointState {
    return captureRunState(this.p, { epoch: this.epoch, plan: this.plan, report: this.lastReport, training: this.state === 'training' });
  }
}

export { ProtocolError };
