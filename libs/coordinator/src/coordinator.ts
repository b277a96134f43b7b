import type { Clock, Logger, TimerHandle } from '@dtrain/common';
import { isCodedError, mixSeed } from '@dtrain/common';
import type { Join, Message, ModelManifest, Push, WireErrorCode, ProtocolErrorCode } from '@dtrain/protocol';
import { DEFAULT_MAX_BATCH, PROTOCOL_VERSION, ProtocolError, checkTensorLength, decodeMessage, encodeMessage, errorMessage } from '@dtrain/protocol';
import type { TrainableLayout } from '@dtrain/model';
import type { EvaluationReport, LrSchedule } from '@dtrain/training';
import { parseLrSchedule, scheduledLearningRate } from '@dtrain/training';
import { admitJoin } from './join-admission';
import type { CheckpointState } from './checkpoint-state';
import { EpochPlan } from './epoch-plan';
import type { Member, Peer } from './member';
import { newStats } from './member';
import type { ParameterStore } from './parameter-store';
import { TokenBucket } from './token-bucket';
import type { ServerOptions } from './server-options';
import { requiredCodecs, weightsCodec } from './server-options';
import type { AppliedPush, CoordinatorEvents, RunTotals } from './coordinator-events';
import { emptyRunTotals } from './coordinator-events';
import { CoordinatorError } from './coordinator-error';
import { Checkpointer, checkRestorable } from './checkpointer';
import { LivenessMonitor } from './liveness-monitor';
import { SampleCoverage } from './sample-coverage';
import { batchShares } from './batch-shares';
import { WeightsEncoder } from './weights-encoder';
import { StepAggregate } from './step-aggregate';
import { StepBarrier } from './step-barrier';

/** WebSocket close codes (RFC 6455 §7.4): 1008 policy violation, 1009 too big, 1000 normal. */
const CLOSE_NORMAL = 1000;
/** 1001: the server is going away (restart); workers should come back. */
const CLOSE_GOING_AWAY = 1001;
const CLOSE_POLICY = 1008;
const CLOSE_TOO_BIG = 1009;
/** RFC 6455: the server hit an unexpected condition (a bug of ours, never the peer's input). */
const CLOSE_INTERNAL = 1011;
/** BSP plan parts are shards, not members; '#' cannot appear in a worker id, so the two never mix. */
const shardId = (i: number): string => `#${i}`;

export type CoordinatorState = 'waiting' | 'training' | 'evaluating' | 'finished';

export interface TrainingData {
  /** Global indices of the training samples this run uses. */
  indices: Uint32Array;
  labels: Uint8Array;
  numClasses: number;
}

export interface CoordinatorDeps {
  options: ServerOptions;
  clock: Clock;
  log: Logger;
  store: ParameterStore;
  runId: string;
  model: unknown;
  manifest: ModelManifest;
  /**
   * With frozen layers: the weights that train, which is all a push needs to carry (full pushes are
   * taken too) and, to workers that take it, all a weights frame after their first one carries.
   */
  pushLayout?: TrainableLayout;
  data: TrainingData;
  /** Evaluates the current weights on the test split (runs between steps). */
  evaluate: (weights: Float32Array) => Promise<EvaluationReport>;
  events?: Partial<CoordinatorEvents>;
  /** Persist a checkpoint; called between steps, never concurrently. */
  checkpoint?: (state: CheckpointState) => Promise<void>;
  restored?: CheckpointState;
}

/**
 * The parameter server's state machine, independent of sockets: frames in, frames out through
 * `Peer`s, time through the injected clock. One instance runs one training job to the end.
 */
export class Coordinator {
  state: CoordinatorState = 'waiting';
  readonly members = new Map<string, Member>();
  private readonly peers = new Map<number, { peer: Peer; workerId?: string; bucket: TokenBucket; strikes: number; helloTimer?: TimerHandle }>();
  private plan: EpochPlan | undefined;
  private epoch = 0;
  private step = 0;
  private joinSeq = 0;
  private started = false;
  private readonly barrier = new StepBarrier();
  private readonly coverage: SampleCoverage;
  private readonly lrSchedule: LrSchedule;
  /** BSP: the open step's mean gradient and loss; ASP/SSP: where a lossy gradient is decoded. */
  private readonly aggregate: StepAggregate;
  private readonly applied = new Set<string>();
  /** Codec kinds a joining worker must list in its capabilities. */
  private readonly codecs: string[];
  /** Built on first use: the frames that bring each worker's weights up to date (compressed deltas or full). */
  private weightsEncoder: WeightsEncoder | undefined;
  private lastReport: EvaluationReport | undefined;
  private stepStartedAt = 0;
  /** The first update of this process has been timed as warm-up. */
  private warmedUp = false;
  private readonly checkpoints: Checkpointer;
  private readonly liveness: LivenessMonitor;
  private joinTimer: TimerHandle | undefined;
  private resolveDone!: (t: RunTotals) => void;
  private rejectDone!: (e: unknown) => void;
  readonly done: Promise<RunTotals>;
  readonly totals: RunTotals;

  constructor(private readonly d: CoordinatorDeps) {
    this.aggregate = new StepAggregate(d.store.size, d.pushLayout);
    this.coverage = new SampleCoverage(d.data.indices);
    this.lrSchedule = parseLrSchedule(d.options.run.lrSchedule);
    this.codecs = requiredCodecs(d.options);
    this.totals = emptyRunTotals();
    this.checkpoints = new Checkpointer({
      clock: d.clock,
      log: d.log,
      write: d.checkpoint,
      everySteps: d.options.checkpointEverySteps,
      everySeconds: d.options.checkpointEverySeconds,
      checkpointed: (step, version) => this.d.events?.checkpointed?.(step, version),
    });
    this.liveness = new LivenessMonitor({
      clock: d.clock,
      heartbeatMs: d.options.heartbeatMs,
      heartbeatTimeoutMs: d.options.heartbeatTimeoutMs,
      members: () => this.members.values(),
      paused: () => this.state === 'evaluating',
      timedOut: (m, silentMs) => {
        this.removeMember(m, 'lost', `no frame for ${Math.round(silentMs)} ms`);
        m.peer.close(CLOSE_POLICY, 'heartbeat timeout');
      },
    });
    this.done = new Promise((res, rej) => {
      this.resolveDone = res;
      this.rejectDone = rej;
    });
    this.done.catch(() => undefined);
    if (d.restored) this.restore(d.restored);
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
    this.liveness.start();
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
    if (this.checkpoints.enabled && this.state !== 'waiting') await this.checkpointNow();
    if ((this.state as CoordinatorState) === 'finished') return;
    this.state = 'finished';
    this.teardown(CLOSE_GOING_AWAY, 'server restarting');
    this.rejectDone(new CoordinatorError('PS_ERR_STOPPED', `server suspended: ${reason}`, { suspended: true }));
  }

  get activeCount(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.state === 'active') n++;
    return n;
  }

  get version(): number {
    return this.d.store.version;
  }

  get currentEpoch(): number {
    return this.epoch;
  }

  get currentStep(): number {
    return this.step;
  }

  get report(): EvaluationReport | undefined {
    return this.lastReport;
  }

  // ---- transport events --------------------------------------------------------------------------

  connect(peer: Peer): void {
    const { options, clock } = this.d;
    const entry = { peer, bucket: new TokenBucket(options.rateLimit.framesPerSec, options.rateLimit.burst, clock), strikes: 0 } as {
      peer: Peer;
      bucket: TokenBucket;
      strikes: number;
      helloTimer?: TimerHandle;
      workerId?: string;
    };
    entry.helloTimer = clock.setTimeout(() => {
      if (!entry.workerId) this.refuse(peer, 'PS_ERR_NOT_JOINED', `no join within ${options.helloTimeoutMs} ms`, true);
    }, options.helloTimeoutMs);
    this.peers.set(peer.id, entry);
  }

  disconnect(peer: Peer): void {
    const entry = this.peers.get(peer.id);
    if (!entry) return;
    this.peers.delete(peer.id);
    if (entry.helloTimer) this.d.clock.clearTimeout(entry.helloTimer);
    const m = entry.workerId ? this.members.get(entry.workerId) : undefined;
    if (m && m.peer.id === peer.id && m.state === 'active') this.removeMember(m, 'lost', 'connection closed');
  }

  frame(peer: Peer, bytes: Uint8Array): void {
    try {
      this.onFrame(peer, bytes);
    } catch (err) {
      // Input is validated before it touches state, so this is a bug of ours: lose one connection, not the run.
      this.d.log.error('internal error while handling a frame', { peer: peer.id, error: String((err as Error)?.stack ?? err) });
      peer.close(CLOSE_INTERNAL, 'internal error');
      this.disconnect(peer);
    }
  }

  /** The transport refused a frame itself (oversized, not WebSocket): count and log it like ours. */
  transportError(peer: Peer, code: ProtocolErrorCode, message: string): void {
    this.countRejected(code);
    this.d.log.warn('refused a frame', { peer: peer.id, remote: peer.remote, code, message, fatal: true });
  }

  private onFrame(peer: Peer, bytes: Uint8Array): void {
    const entry = this.peers.get(peer.id);
    if (!entry) return;
    this.totals.bytesIn += bytes.byteLength;
    if (!entry.bucket.take()) {
      entry.strikes++;
      // Sustained abuse (a burst's worth of refusals in a row) closes the connection.
      this.refuse(peer, 'PS_ERR_RATE_LIMITED', 'too many frames', entry.strikes > this.d.options.rateLimit.burst);
      return;
    }
    entry.strikes = 0;
    let msg: Message;
    const t0 = this.d.clock.monotonic();
    try {
      msg = decodeMessage(bytes, { maxFrameBytes: this.d.options.maxFrameBytes, maxTensorLength: Math.max(this.d.store.size, 1) });
      this.totals.decodeMs += this.d.clock.monotonic() - t0;
    } catch (err) {
      const code = (isCodedError(err) ? err.code : 'PROTO_ERR_MALFORMED') as ProtocolErrorCode;
      this.refuse(peer, code, isCodedError(err) ? err.message : 'undecodable frame', true);
      return;
    }
    if (!entry.workerId) {
      if (msg.type !== 'join') return this.refuse(peer, 'PS_ERR_NOT_JOINED', `expected join, got ${msg.type}`, true);
      return this.onJoin(peer, entry, msg);
    }
    const m = this.members.get(entry.workerId);
    if (!m || m.peer.id !== peer.id || m.state !== 'active') return this.refuse(peer, 'PS_ERR_NOT_JOINED', 'not an active member', true);
    m.lastSeen = this.d.clock.monotonic();
    m.stats.bytesIn += bytes.byteLength;
    switch (msg.type) {
      case 'push':
        this.totals.gradientBytes += bytes.byteLength;
        return this.onPush(m, msg);
      case 'heartbeat':
        if (msg.stats) {
          const st = msg.stats;
          m.stats.samplesPerSec = st.samplesPerSec;
          m.stats.rssBytes = st.rssBytes;
          // Heartbeat times are the worker's running totals (a push carries the last step's compute).
          m.stats.reported = { steps: st.step, computeMs: st.computeMs, encodeMs: st.encodeMs ?? 0, tensors: st.tensors ?? -1, peakRssBytes: st.peakRssBytes ?? st.rssBytes };
          if (st.cpuMs !== undefined && st.cpuSteps !== undefined) Object.assign(m.stats.reported, { cpuMs: st.cpuMs, cpuSteps: st.cpuSteps });
        }
        return;
      case 'leave':
        this.d.log.info('worker leaves', { worker: m.workerId, reason: msg.reason });
        this.removeMember(m, 'left', msg.reason);
        peer.close(CLOSE_NORMAL, 'bye');
        return;
      case 'error':
        this.d.log.warn('worker reported an error', { worker: m.workerId, code: msg.code, message: msg.message });
        if (msg.fatal) this.removeMember(m, 'lost', `worker error ${msg.code}`);
        return;
      default:
        return this.refuse(peer, 'PS_ERR_UNEXPECTED_MESSAGE', `${msg.type} is not sent by workers`, false);
    }
  }

  // ---- join / leave ------------------------------------------------------------------------------

  private onJoin(peer: Peer, entry: { workerId?: string; helloTimer?: TimerHandle }, msg: Join): void {
    const { options, clock, log } = this.d;
    const reply = msg.requestId;
    const verdict = admitJoin(msg, { token: options.token, finished: this.state === 'finished', codecs: this.codecs, defaultId: `w${this.joinSeq + 1}-${peer.id}` });
    if (!verdict.ok) return this.refuse(peer, verdict.code, verdict.message, true, reply);
    const workerId = verdict.workerId;
    const existing = this.members.get(workerId);
    if (existing && existing.state === 'active') {
      // Same id with a valid token: the worker reconnected before we noticed its old socket die.
      log.info('worker reconnected; replacing its old connection', { worker: workerId });
      const old = existing.peer;
      this.removeMember(existing, 'lost', 'replaced by a new connection');
      old.close(CLOSE_NORMAL, 'replaced');
    } else if (this.activeCount >= options.maxWorkers) return this.refuse(peer, 'PS_ERR_SERVER_FULL', 'server full', true, reply);
    if (entry.helloTimer) clock.clearTimeout(entry.helloTimer);
    entry.workerId = workerId;
    const now = clock.monotonic();
    const m: Member = {
      workerId,
      joinOrder: ++this.joinSeq,
      peer,
      state: 'active',
      joinedAt: now,
      lastSeen: now,
      knownVersion: -1,
      inflight: undefined,
      clock: existing?.clock ?? this.minClock(),
      backend: msg.capabilities.backend,
      takesPacked: msg.capabilities.trainableLayout === true,
      stats: existing?.stats ?? newStats(),
    };
    this.members.set(workerId, m);
    const run = options.run;
    this.sendTo(m, {
      type: 'welcome',
      v: PROTOCOL_VERSION,
      replyTo: reply,
      workerId,
      runId: this.d.runId,
      model: this.d.model,
      manifest: this.d.manifest,
      dataset: run.dataset,
      hyper: { batchSize: run.batchSize, learningRate: run.learningRate, epochs: run.epochs, seed: run.seed, augment: run.augment },
      mode: { kind: options.mode, staleness: options.staleness },
      compression: options.compression,
      heartbeatMs: options.heartbeatMs,
      frozen: options.frozen,
      ...(this.d.pushLayout ? { pushLayout: 'trainable' as const } : {}),
    });
    log.info('worker joined', { worker: workerId, remote: peer.remote, backend: m.backend, active: this.activeCount });
    this.d.events?.memberChanged?.(m, 'joined');
    if (!this.started) {
      if (this.activeCount >= options.workers) this.begin();
      return;
    }
    if (this.plan && this.state === 'training') {
      if (options.mode !== 'bsp') this.plan.addMember(workerId, options.shardStrategy, run.seed);
      this.sendAssign(m);
      if (options.mode === 'bsp') {
        // Takes an orphaned chunk of the open step, or a share of the next; an idle run starts that step now.
        if (this.barrier.phase === 'idle') this.startStep();
        else this.dispatchPool();
      } else this.dispatch(m);
    }
  }

  private removeMember(m: Member, state: 'lost' | 'left', reason: string): void {
    if (m.state !== 'active') return;
    m.state = state;
    this.d.log.warn(state === 'left' ? 'worker left' : 'worker lost', { worker: m.workerId, reason });
    const inflight = m.inflight;
    m.inflight = undefined;
    // No sample of the epoch is skipped: the unfinished batch (and in ASP/SSP the rest of the shard) moves on.
    const unfinished = inflight && !inflight.cancelled ? inflight.indices : undefined;
    if (this.d.options.mode === 'bsp') {
      if (unfinished && this.barrier.phase === 'step') this.barrier.park(unfinished);
      else if (unfinished) this.plan?.carry(unfinished);
    } else if (this.plan) {
      if (unfinished) this.plan.redistribute(unfinished, m.workerId);
      this.plan.removeMember(m.workerId);
    }
    this.d.events?.memberChanged?.(m, state);
    if (this.state !== 'training') return;
    if (this.d.options.mode === 'bsp') {
      // Out of the barrier at once; its chunk goes to whoever is free, so the step still covers it.
      if (this.barrier.phase === 'step' && this.barrier.release(m.workerId)) {
        this.dispatchPool();
        this.maybeCompleteStep();
      }
    } else {
      this.releaseParked();
      this.maybeEndEpochAsync();
    }
  }

  // ---- training flow -----------------------------------------------------------------------------

  private begin(): void {
    this.started = true;
    if (this.joinTimer) this.d.clock.clearTimeout(this.joinTimer);
    this.state = 'training';
    this.totals.startedAt = this.d.clock.monotonic();
    this.d.log.info('training starts', { workers: this.activeCount, mode: this.d.options.mode, epochs: this.d.options.run.epochs });
    if (this.epoch >= this.d.options.run.epochs) {
      // Resumed from a checkpoint taken after the last epoch: nothing left to train.
      void this.endEpoch();
      return;
    }
    if (this.plan) {
      // Resumed from a checkpoint mid-epoch. ASP/SSP: the saved plan's owners may be gone; re-home their work.
      if (this.d.options.mode !== 'bsp') {
        for (const id of this.plan.memberIds) if (this.members.get(id)?.state !== 'active') this.plan.removeMember(id);
        for (const m of this.activeMembers())
          if (!this.plan.has(m.workerId)) this.plan.addMember(m.workerId, this.d.options.shardStrategy, this.d.options.run.seed);
      }
      for (const m of this.activeMembers()) this.sendAssign(m);
      this.continueEpoch();
    } else this.startEpoch(this.epoch);
  }

  private startEpoch(epoch: number): void {
    const { options } = this.d;
    this.epoch = epoch;
    this.coverage.reset();
    // BSP cuts the epoch into `workers` shards whoever is active, so membership never changes what a step holds.
    const ids = options.mode === 'bsp' ? Array.from({ length: options.workers }, (_, i) => shardId(i)) : this.activeMembers().map((m) => m.workerId);
    this.plan = EpochPlan.create({
      epoch,
      members: ids,
      indices: this.d.data.indices,
      labels: this.d.data.labels,
      numClasses: this.d.data.numClasses,
      strategy: options.shardStrategy,
      seed: options.run.seed,
    });
    for (const m of this.activeMembers()) this.sendAssign(m);
    this.d.events?.epochStarted?.(epoch);
    this.continueEpoch();
  }

  private continueEpoch(): void {
    if (this.d.options.mode === 'bsp') this.startStep();
    else for (const m of this.activeMembers()) this.dispatch(m);
  }

  private sendAssign(m: Member): void {
    // BSP members compute parts of every shard; they are told the shard of their position, for logs.
    const position = this.activeMembers().indexOf(m);
    const spec = this.d.options.mode === 'bsp' ? this.plan?.specOf(shardId(position % this.d.options.workers)) : this.plan?.specOf(m.workerId);
    if (!spec) return;
    this.sendTo(m, { type: 'assign', v: PROTOCOL_VERSION, epoch: this.epoch, shard: spec, members: this.activeCount });
  }

  /**
   * BSP: one step is `batchSize` samples from each of the `workers` shards (plus any carried over),
   * split evenly over the active members. The global batch is fixed: losing or adding a worker changes
   * who computes a step and how fast, not which samples it holds.
   */
  private startStep(): void {
    const plan = this.plan;
    if (!plan || this.state !== 'training') return;
    this.barrier.clear();
    this.aggregate.reset();
    if (plan.remaining === 0) {
      this.barrier.idle();
      return void this.endEpoch();
    }
    // A member still computing a step that completed without it (backup workers) joins once that push is in.
    const active = this.activeMembers();
    const members = active.filter((m) => !m.inflight);
    if (members.length === 0) {
      this.barrier.idle();
      return;
    }
    const samples = plan.takeStep(this.d.options.run.batchSize);
    const shares = batchShares(samples.length, members.length);
    let at = 0;
    members.forEach((m, i) => {
      const n = shares[i] ?? 0;
      if (n === 0) return;
      // A work message carries at most DEFAULT_MAX_BATCH samples; the rest of a share waits in the pool.
      const first = Math.min(n, DEFAULT_MAX_BATCH);
      this.sendWork(m, samples.subarray(at, at + first), this.step++);
      this.barrier.handOut(m.workerId);
      for (let k = at + first; k < at + n; k += DEFAULT_MAX_BATCH) this.barrier.park(samples.subarray(k, Math.min(at + n, k + DEFAULT_MAX_BATCH)));
      at += n;
    });
    // A straggler still busy with a dropped chunk already is one of the B backups; don't drop more.
    this.barrier.open(Math.max(0, this.d.options.backupWorkers - (active.length - members.length)));
    this.stepStartedAt = this.d.clock.monotonic();
  }

  /** BSP: chunks of the open step whose member was lost go to members that are free. */
  private dispatchPool(): void {
    if (this.barrier.phase !== 'step' || this.state !== 'training') return;
    for (const m of this.activeMembers()) {
      const chunk = this.barrier.peekPooled();
      if (!chunk) return;
      if (m.inflight) continue;
      this.barrier.takePooled();
      this.sendWork(m, chunk, this.step++);
      this.barrier.handOut(m.workerId);
    }
  }

  /** ASP/SSP: give one member its next batch, unless SSP says it is too far ahead. */
  private dispatch(m: Member): void {
    if (!this.plan || this.state !== 'training' || m.state !== 'active' || m.inflight) return;
    if (this.d.options.mode === 'ssp' && m.clock - this.minClock() > this.d.options.staleness) return; // parked
    let indices = this.plan.take(m.workerId, this.d.options.run.batchSize);
    // Asynchronous modes never wait for a slow member's shard: an idle member takes half of the longest queue.
    if (indices.length === 0 && this.plan.steal(m.workerId) > 0) indices = this.plan.take(m.workerId, this.d.options.run.batchSize);
    if (indices.length === 0) return this.maybeEndEpochAsync();
    this.sendWork(m, indices, this.step++);
  }

  private sendWork(m: Member, indices: Uint32Array, step: number): void {
    const version = this.d.store.version;
    this.sendWeights(m);
    m.inflight = { step, baseVersion: version, indices, sentAt: this.d.clock.monotonic(), cancelled: false };
    this.sendTo(m, {
      type: 'work',
      v: PROTOCOL_VERSION,
      step,
      epoch: this.epoch,
      baseVersion: version,
      indices,
      augmentSeed: mixSeed(this.d.options.run.seed, this.epoch, step, indices[0] ?? 0),
    });
  }

  private sendWeights(m: Member): void {
    const version = this.d.store.version;
    if (m.knownVersion === version) return;
    this.weightsEncoder ??= new WeightsEncoder(weightsCodec(this.d.options), this.d.store.size, this.d.pushLayout);
    const t0 = this.d.clock.monotonic();
    const frame = this.weightsEncoder.frameFor(m, m.knownVersion, version, this.d.store.weights, m.takesPacked);
    this.totals.encodeMs += this.d.clock.monotonic() - t0;
    this.sendFrame(m, frame);
    this.totals.weightBytes += frame.byteLength;
    m.knownVersion = version;
  }

  private onPush(m: Member, msg: Push): void {
    const { store, clock, options } = this.d;
    m.stats.pushes++;
    try {
      const packed = this.d.pushLayout?.size;
      checkTensorLength(msg.grad, msg.grad.length === packed ? packed : store.size);
    } catch (err) {
      m.stats.rejected++;
      this.ack(m, msg.step, 'rejected', isCodedError(err) ? err.code : 'PROTO_ERR_BAD_SHAPE');
      // A worker that computes against another model cannot help this run.
      this.removeMember(m, 'lost', 'gradient of the wrong shape');
      m.peer.close(CLOSE_POLICY, 'PROTO_ERR_BAD_SHAPE');
      return;
    }
    if (msg.workerId !== m.workerId) {
      // The connection's join decides who it is; a push naming someone else is refused, not re-attributed.
      m.stats.rejected++;
      return this.ack(m, msg.step, 'rejected', 'PS_ERR_BAD_WORKER_ID');
    }
    const key = `${m.workerId}#${msg.step}`;
    if (this.applied.has(key)) {
      this.totals.duplicatePushes++;
      return this.ack(m, msg.step, 'duplicate', 'PS_ERR_DUPLICATE_PUSH');
    }
    const inflight = m.inflight;
    if (!inflight || inflight.step !== msg.step || inflight.baseVersion !== msg.baseVersion) {
      this.totals.stalePushes++;
      m.stats.rejected++;
      return this.ack(m, msg.step, 'stale', 'PS_ERR_STALE_PUSH');
    }
    m.inflight = undefined;
    const elapsed = clock.monotonic() - inflight.sentAt;
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
      this.totals.droppedPushes++;
      m.stats.dropped++;
      this.d.events?.pushDropped?.(m);
      this.ack(m, msg.step, 'dropped');
      // The run may be idle waiting for exactly this member, or the open step may have a chunk for it.
      if (options.mode === 'bsp' && this.barrier.phase === 'idle') this.startStep();
      else if (options.mode === 'bsp') this.dispatchPool();
      return;
    }
    // The server's own count weighs the gradient: a worker cannot buy itself a larger say.
    const samples = inflight.indices.length;
    if (msg.samples !== samples) this.d.log.debug('push claims another sample count', { worker: m.workerId, claimed: msg.samples, given: samples });
    const staleness = store.version - inflight.baseVersion;
    m.stats.lastStaleness = staleness;
    m.stats.maxStaleness = Math.max(m.stats.maxStaleness, staleness);
    if (options.mode === 'bsp') {
      const t0 = clock.monotonic();
      this.aggregate.countPush(samples, msg.loss);
      this.barrier.release(m.workerId);
      // The push that completes the step goes into the mean in the same pass (nothing between here and
      // maybeCompleteStep below can reopen the step: the ack and pooled chunks do not change the condition).
      this.aggregate.add(msg.grad, samples, this.stepIsComplete());
      this.totals.aggregateMs += clock.monotonic() - t0;
      this.markApplied(m, msg, key, staleness, inflight.indices, elapsed);
      this.dispatchPool();
      this.maybeCompleteStep();
      return;
    }
    if (options.mode === 'ssp' && staleness > options.staleness) {
      // Too old to apply: its samples go back to the front of the worker's queue and are redone.
      this.totals.stalePushes++;
      m.stats.rejected++;
      this.plan?.giveBack(m.workerId, inflight.indices);
      this.ack(m, msg.step, 'stale', 'PS_ERR_STALE_PUSH');
      this.dispatch(m);
      return;
    }
    const t0 = clock.monotonic();
    // One gradient, applied alone: an fp32 one straight from the frame, others decoded over the whole buffer.
    const g = this.aggregate.decodeAlone(msg.grad);
    const t1 = clock.monotonic();
    store.apply(g, this.learningRateNow());
    this.totals.aggregateMs += t1 - t0;
    this.totals.applyMs += clock.monotonic() - t1;
    this.markApplied(m, msg, key, staleness, inflight.indices, elapsed);
    this.afterUpdate(msg.loss, samples, elapsed);
    m.clock++;
    this.dispatch(m);
    this.releaseParked();
    this.maybeCheckpointAsync();
    this.maybeEndEpochAsync();
  }

  private markApplied(m: Member, msg: Push, key: string, staleness: number, indices: Uint32Array, stepMs: number): void {
    this.applied.add(key);
    this.coverage.add(indices);
    m.stats.applied++;
    m.stats.samples += indices.length;
    const entry: AppliedPush = { workerId: m.workerId, step: msg.step, baseVersion: msg.baseVersion, staleness, samples: indices.length, epoch: this.epoch, stepMs: Math.round(stepMs) };
    this.totals.appliedLog.push(entry);
    this.ack(m, msg.step, 'applied');
  }

  /** BSP: the open step has what it waits for (every chunk in, or enough of them with backup workers). */
  private stepIsComplete(): boolean {
    if (this.state !== 'training' || this.d.options.mode !== 'bsp') return false;
    return this.barrier.complete(this.aggregate.pushes);
  }

  private maybeCompleteStep(): void {
    if (!this.stepIsComplete()) return;
    // Backup workers: whoever is still computing this step will have its push dropped, and its
    // samples are carried into the next step so the epoch still covers every sample.
    const { stragglers, unsent } = this.barrier.close();
    for (const id of stragglers) {
      const m = this.members.get(id);
      if (m?.inflight && !m.inflight.cancelled) {
        m.inflight.cancelled = true;
        this.plan?.carry(m.inflight.indices);
      }
    }
    for (const chunk of unsent) this.plan?.carry(chunk);
    if (this.aggregate.pushes > 0) {
      const t0 = this.d.clock.monotonic();
      const mean = this.aggregate.mean();
      const t1 = this.d.clock.monotonic();
      this.d.store.apply(mean, this.learningRateNow());
      this.totals.aggregateMs += t1 - t0;
      this.totals.applyMs += this.d.clock.monotonic() - t1;
      this.afterUpdate(this.aggregate.meanLoss, this.aggregate.samples, this.d.clock.monotonic() - this.stepStartedAt);
    }
    this.afterStepMaybeCheckpoint(() => this.startStep());
  }

  /** The schedule's rate for the next update: progress is epochs of samples applied so far. */
  private learningRateNow(): number {
    const run = this.d.options.run;
    const progress = this.totals.samples / Math.max(1, this.d.data.indices.length);
    return scheduledLearningRate(this.lrSchedule, run.learningRate, progress, run.epochs);
  }

  private afterUpdate(loss: number, samples: number, stepMs: number): void {
    if (!this.warmedUp) {
      this.warmedUp = true;
      this.totals.warmupMs = this.d.clock.monotonic() - this.totals.startedAt;
      this.totals.warmupSamples = samples;
    }
    this.totals.steps++;
    this.totals.samples += samples;
    this.totals.lastLoss = loss;
    this.d.events?.stepCompleted?.({ step: this.totals.steps, version: this.d.store.version, loss, samples, stepMs, epoch: this.epoch });
  }

  /** SSP: members parked for running ahead may go once the slowest has caught up. */
  private releaseParked(): void {
    if (this.d.options.mode === 'asp' || this.state !== 'training') return;
    for (const m of this.activeMembers()) if (!m.inflight) this.dispatch(m);
  }

  private maybeEndEpochAsync(): void {
    if (this.d.options.mode === 'bsp' || this.state !== 'training' || !this.plan) return;
    if (this.plan.remaining > 0) return;
    for (const m of this.activeMembers()) if (m.inflight) return;
    void this.endEpoch();
  }

  private async endEpoch(): Promise<void> {
    const { options, log } = this.d;
    this.state = 'evaluating';
    this.totals.trainMs += this.d.clock.monotonic() - (this.totals.startedAt || this.d.clock.monotonic());
    try {
      const coverage = this.coverage.report(this.epoch);
      this.totals.coverage.push(coverage);
      if (coverage.missed > 0 || coverage.repeated > 0) log.error('epoch did not apply every sample exactly once', { ...coverage });
      else log.info('epoch coverage', { ...coverage });
      const report = await this.d.evaluate(this.d.store.weights);
      this.lastReport = report;
      this.totals.epochsDone = this.epoch + 1;
      log.info('epoch done', { epoch: this.epoch + 1, test_accuracy: +report.accuracy.toFixed(4), loss: +this.totals.lastLoss.toFixed(4), version: this.version });
      this.d.events?.epochCompleted?.(this.epoch, report);
    } catch (err) {
      return this.fail(err);
    }
    if (this.state !== 'evaluating') return; // stopped meanwhile
    this.totals.startedAt = this.d.clock.monotonic();
    this.state = 'training';
    if (this.epoch + 1 < options.run.epochs) {
      // The checkpoint taken here says "start the next epoch afresh", so a resume never redoes this one.
      this.plan = undefined;
      this.epoch++;
      this.coverage.reset();
      await this.checkpointNow();
      if (this.state === 'training') this.startEpoch(this.epoch);
    } else this.finish();
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

  private fail(err: unknown): void {
    if (this.state === 'finished') return;
    this.state = 'finished';
    this.d.log.error('run failed', { error: String((err as Error)?.message ?? err) });
    this.broadcast({ type: 'done', v: PROTOCOL_VERSION, reason: 'failed', summary: { error: String((err as Error)?.message ?? err) } });
    this.teardown();
    this.rejectDone(err);
  }

  private teardown(code = CLOSE_NORMAL, why = 'run over'): void {
    const { clock } = this.d;
    this.liveness.stop();
    if (this.joinTimer) clock.clearTimeout(this.joinTimer);
    for (const e of this.peers.values()) {
      if (e.helloTimer) clock.clearTimeout(e.helloTimer);
      e.peer.close(code, why);
    }
    this.peers.clear();
  }

  // ---- checkpoints -------------------------------------------------------------------------------

  /** BSP: checkpoint between steps (nothing in flight), then start the next step. */
  private afterStepMaybeCheckpoint(next: () => void): void {
    if (!this.checkpoints.due(this.totals.steps)) return next();
    void this.checkpointNow().then(() => {
      if (this.state === 'training') next();
    });
  }

  /** ASP/SSP: updates never pause, so the state is captured now (in-flight batches put back) and written meanwhile. */
  private maybeCheckpointAsync(): void {
    if (!this.checkpoints.busy && this.checkpoints.due(this.totals.steps)) void this.checkpointNow();
  }

  private checkpointNow(extra: Pick<CheckpointState, 'finished'> = {}): Promise<void> {
    return this.checkpoints.writeNow(() => ({ ...this.captureState(), ...extra }));
  }

  /** Everything needed to continue: weights, optimizer, position in the epoch (with unfinished batches put back). */
  captureState(): CheckpointState {
    const plan = this.plan ? EpochPlan.restore(this.plan.snapshot()) : undefined;
    if (plan)
      for (const m of this.members.values()) {
        if (!m.inflight || m.inflight.cancelled || m.state !== 'active') continue;
        if (this.d.options.mode === 'bsp') plan.carry(m.inflight.indices);
        else plan.giveBack(m.workerId, m.inflight.indices);
      }
    if (plan) for (const chunk of this.barrier.pooled) plan.carry(chunk);
    return {
      runId: this.d.runId,
      epoch: this.epoch,
      step: this.step,
      updates: this.totals.steps,
      samples: this.totals.samples,
      version: this.d.store.version,
      store: this.d.store.snapshot(),
      plan: plan?.snapshot(),
      members: [...this.members.values()].filter((m) => m.state === 'active').map((m) => ({ workerId: m.workerId, clock: m.clock })),
      applied: [...this.applied],
      appliedLog: this.totals.appliedLog.slice(),
      coverage: this.coverage.snapshot(),
      coverageLog: this.totals.coverage.slice(),
      seed: this.d.options.run.seed,
      report: this.lastReport,
      trainMs: this.totals.trainMs + (this.state === 'training' && this.totals.startedAt ? this.d.clock.monotonic() - this.totals.startedAt : 0),
    };
  }

  private restore(s: CheckpointState): void {
    checkRestorable(s, { weights: this.d.store.size, seed: this.d.options.run.seed, sampleSlots: this.coverage.snapshot().counts.length });
    this.d.store.restore(s.store);
    this.epoch = s.epoch;
    this.totals.epochsDone = s.epoch;
    this.totals.appliedLog.push(...(s.appliedLog ?? []));
    if (s.coverage) this.coverage.restore(s.coverage);
    this.totals.coverage.push(...(s.coverageLog ?? []));
    this.step = s.step;
    this.totals.steps = s.updates;
    this.totals.samples = s.samples;
    this.totals.trainMs = s.trainMs ?? 0;
    this.checkpoints.resumedAt(s.updates);
    for (const k of s.applied) this.applied.add(k);
    this.lastReport = s.report;
    if (s.plan) this.plan = EpochPlan.restore(s.plan);
  }

  // ---- helpers -----------------------------------------------------------------------------------

  private activeMembers(): Member[] {
    return [...this.members.values()].filter((m) => m.state === 'active').sort((a, b) => a.joinOrder - b.joinOrder);
  }

  private minClock(): number {
    let min = Infinity;
    for (const m of this.members.values()) if (m.state === 'active') min = Math.min(min, m.clock);
    return Number.isFinite(min) ? min : 0;
  }

  private ack(m: Member, step: number, status: 'applied' | 'duplicate' | 'stale' | 'dropped' | 'rejected', code?: string): void {
    if (code) this.countRejected(code);
    this.sendTo(m, code ? { type: 'ack', v: PROTOCOL_VERSION, step, status, version: this.version, code } : { type: 'ack', v: PROTOCOL_VERSION, step, status, version: this.version });
  }

  private countRejected(code: string): void {
    this.totals.rejectedFrames[code] = (this.totals.rejectedFrames[code] ?? 0) + 1;
    this.d.events?.frameRejected?.(code);
  }

  private refuse(peer: Peer, code: WireErrorCode | ProtocolErrorCode, message: string, fatal: boolean, replyTo?: number): void {
    this.countRejected(code);
    this.d.log.warn('refused a frame', { peer: peer.id, remote: peer.remote, code, message, fatal });
    try {
      peer.send(encodeMessage(errorMessage(code, message.slice(0, 1000), fatal, replyTo)));
    } catch {
      // The socket may already be gone; closing below is what matters.
    }
    if (fatal) {
      peer.close(code === 'PROTO_ERR_FRAME_TOO_LARGE' ? CLOSE_TOO_BIG : CLOSE_POLICY, code);
      this.disconnect(peer);
    }
  }

  private sendTo(m: Member, msg: Message): void {
    this.sendFrame(m, encodeMessage(msg));
  }

  private sendFrame(m: Member, frame: Uint8Array): void {
    m.stats.bytesOut += frame.byteLength;
    this.totals.bytesOut += frame.byteLength;
    m.peer.send(frame);
  }

  private broadcast(msg: Message): void {
    const frame = encodeMessage(msg);
    for (const m of this.activeMembers()) this.sendFrame(m, frame);
  }
}

export { ProtocolError };
