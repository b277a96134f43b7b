import type { Push, UpdatePart } from '@dtrain/protocol';
import { CLOSE_CODES } from '@dtrain/protocol';
import { parseLrSchedule, scheduledLearningRate } from '@dtrain/training';
import { AsyncPolicy } from './async-policy';
import { BspPolicy } from './bsp-policy';
import { Checkpointer } from './checkpointer';
import { ConnectionGate } from './connection-gate';
import type { CoordinatorDeps, CoordinatorState } from './coordinator-deps';
import type { EpochPlan } from './epoch-plan';
import { GradientGuard } from './gradient-guard';
import { LivenessMonitor } from './liveness-monitor';
import type { Member } from './member';
import { MemberDesk } from './member-desk';
import { Membership } from './membership';
import { Outbox } from './outbox';
import { PushIntake } from './push-intake';
import { PushLedger } from './push-ledger';
import { RunAccounting } from './run-accounting';
import type { RunParts } from './run-snapshot';
import { SampleCoverage } from './sample-coverage';
import { requiredCodecs } from './server-options';
import { ShardReceipts } from './shard-receipts';
import { StepAggregate } from './step-aggregate';
import type { SyncContext, SyncPolicy } from './sync-policy';

/** What the parts need of the epoch loop that owns them. */
export interface LoopHooks {
  state(): CoordinatorState;
  epoch(): number;
  plan(): EpochPlan | undefined;
  /** Training has begun (the first `workers` joined). */
  started(): boolean;
  begin(): void;
  endEpoch(): void;
  checkpointNow(): Promise<void>;
  /** Sharded: shard `k`'s connection is gone; the run cannot go on without it. */
  shardLost(k: number, why: string): void;
}

export interface CoordinatorParts extends RunParts {
  accounting: RunAccounting;
  gate: ConnectionGate;
  desk: MemberDesk;
  intake: PushIntake;
  liveness: LivenessMonitor;
  /** A member leaves the run; what it had not finished moves on (no sample of the epoch is skipped). */
  remove(m: Member, state: 'lost' | 'left', reason: string): void;
  /** Tells `m` its part of the epoch's plan. */
  assign(m: Member): void;
}

/** Builds the coordinator's parts from its deps and wires them to each other and to the loop. */
export function assembleParts(d: CoordinatorDeps, loop: LoopHooks): CoordinatorParts {
  const { clock, log, options, events, store, runId, shards } = d;
  const training = (): boolean => loop.state() === 'training';
  // Sharded, the shards sum the gradients: the step keeps only which pushes it is made of.
  const aggregate = shards ? new StepAggregate(0) : new StepAggregate(store.size, d.pushLayout);
  const coverage = new SampleCoverage(d.data.indices);
  const lrSchedule = parseLrSchedule(options.run.lrSchedule);
  const accounting = new RunAccounting({ clock, events, version: () => store.version, epoch: loop.epoch });
  const totals = accounting.totals;
  const membership = new Membership({ clock, log, events });
  const outbox = new Outbox({ options, clock, store, accounting, runId, model: d.model, manifest: d.manifest, pushLayout: d.pushLayout, shards });
  const ledger = new PushLedger({ sizes: { full: store.size, packed: d.pushLayout?.size, sliced: shards !== undefined } });
  const checkpoints = new Checkpointer({
    clock,
    log,
    write: d.checkpoint,
    everySteps: options.checkpointEverySteps,
    everySeconds: options.checkpointEverySeconds,
    checkpointed: (step, version) => events?.checkpointed?.(step, version),
  });
  const remove = (m: Member, state: 'lost' | 'left', reason: string): void => {
    const gone = membership.remove(m, state, reason);
    if (gone) policy.gone(m, gone.unfinished);
  };
  const assign = (m: Member): void => {
    const spec = loop.plan()?.specOf(policy.partOf(m, membership.active().indexOf(m)));
    if (spec) outbox.assign(m, loop.epoch(), spec, membership.activeCount);
  };
  const guard = new GradientGuard({ maxAbs: options.maxGradientAbs, spikeFactor: options.gradientSpikeFactor });
  const intake = new PushIntake({
    ledger,
    guard,
    outbox,
    accounting,
    coverage,
    store,
    log,
    events,
    now: () => clock.monotonic(),
    epoch: loop.epoch,
    policy: () => policy,
    lose: (m, why) => remove(m, 'lost', why),
    ...(shards ? { forget: (workerId: string, step: number) => shards.forget(workerId, step) } : {}),
  });
  // Sharded: a push is judged once its header and every shard's receipt are in; a push whose worker
  // left meanwhile is dropped (its batch was already handed on).
  const receipts = shards
    ? new ShardReceipts(
        shards.count,
        (a) => (a.member.state === 'active' && membership.get(a.member.workerId) === a.member ? intake.take(a.member, a.header, a.refusal) : shards.forget(a.header.workerId, a.header.step)),
        () => 4 * options.maxWorkers + 64,
        () => clock.monotonic(),
      )
    : undefined;
  const gate: ConnectionGate = new ConnectionGate({
    options,
    clock,
    log,
    accounting,
    maxTensorLength: store.size,
    handlers: {
      join: (peer, msg) => desk.join(peer, msg),
      message: (peer, workerId, msg, bytes) => desk.message(peer, workerId, msg, bytes),
      closed: (peer, workerId) => {
        const m = membership.get(workerId);
        if (m && m.peer.id === peer.id && m.state === 'active') remove(m, 'lost', 'connection closed');
      },
    },
  });
  const desk = new MemberDesk({
    options,
    log,
    clock,
    gate,
    membership,
    outbox,
    intake,
    totals,
    codecs: requiredCodecs(options),
    ...(receipts ? { pushed: (m: Member, msg: Push) => receipts.header(m, msg) } : {}),
    joinBackoff: options.joinBackoff,
    finished: () => loop.state() === 'finished',
    joined: (m) => {
      if (!loop.started()) {
        if (membership.activeCount >= options.workers) loop.begin();
      } else if (loop.plan() && training()) policy.joined(m);
    },
    remove,
  });
  const context: SyncContext = {
    options,
    membership,
    aggregate,
    plan: loop.plan,
    training,
    now: () => clock.monotonic(),
    sendWork: (m, indices) => outbox.work(m, indices, loop.epoch()),
    assign,
    applied: (m, msg, key, staleness, inflight) => intake.applied(m, msg, key, staleness, inflight),
    tooStale: (m, step) => intake.tooStale(m, step),
    addToStep: (msg, samples, last) => {
      if (shards) aggregate.parts.push({ workerId: msg.workerId, step: msg.step, samples });
      else aggregate.add(msg.grad!, samples, last);
    },
    applyStep: () => {
      if (shards) return update(aggregate.parts.slice());
      const t0 = clock.monotonic();
      const mean = aggregate.mean();
      totals.aggregateMs += clock.monotonic() - t0;
      update(mean);
    },
    applyPush: (msg, samples) => {
      if (shards) return update([{ workerId: msg.workerId, step: msg.step, samples }]);
      const t0 = clock.monotonic();
      // One gradient, applied alone: an fp32 one straight from the frame, others decoded over the whole buffer.
      const g = aggregate.decodeAlone(msg.grad!);
      totals.aggregateMs += clock.monotonic() - t0;
      update(g);
    },
    counted: (loss, samples, stepMs) => accounting.updated(loss, samples, stepMs),
    spent: (what, ms) => {
      totals[what] += ms;
    },
    betweenSteps: (next) => {
      if (!checkpoints.due(totals.steps)) return next();
      void loop.checkpointNow().then(() => {
        if (training()) next();
      });
    },
    checkpointSoon: () => {
      if (!checkpoints.busy && checkpoints.due(totals.steps)) void loop.checkpointNow();
    },
    endEpoch: loop.endEpoch,
  };
  /** One update: the mean gradient here, or (sharded) a verdict naming its pushes, at the schedule's rate. */
  function update(what: Float32Array | UpdatePart[]): void {
    const t0 = clock.monotonic();
    // The schedule's rate for this update: progress is epochs of samples applied so far.
    const progress = totals.samples / Math.max(1, d.data.indices.length);
    const lr = scheduledLearningRate(lrSchedule, store.baseLearningRate, progress, options.run.epochs);
    if (what instanceof Float32Array) store.apply(what, lr);
    else shards!.verdict(store.advance(), lr, what);
    totals.applyMs += clock.monotonic() - t0;
  }
  shards?.listen({
    receipt: (k, r) => receipts!.receipt(k, r.workerId, r.step, r.code),
    lost: (k, why) => loop.shardLost(k, why),
  });
  const policy: SyncPolicy = options.mode === 'bsp' ? new BspPolicy(context) : new AsyncPolicy(options.mode, context);
  const liveness = new LivenessMonitor({
    clock,
    heartbeatMs: options.heartbeatMs,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs,
    members: () => membership.members.values(),
    paused: () => loop.state() === 'evaluating',
    timedOut: (m, silentMs) => {
      remove(m, 'lost', `no frame for ${Math.round(silentMs)} ms`);
      m.peer.close(CLOSE_CODES.policy, 'heartbeat timeout');
    },
    // Sharded: a push whose slice never reached some shard would hold its step for ever; its worker is
    // taken out (its batch goes to whoever is free) and rejoins with a fresh link to every shard.
    ...(receipts
      ? {
          alsoCheck: () => {
            for (const m of receipts.overdue(options.heartbeatTimeoutMs)) {
              if (m.state !== 'active') continue;
              log.warn('a push never reached every shard: taking its worker out', { worker: m.workerId });
              remove(m, 'lost', 'push slices missing on a shard');
              m.peer.close(CLOSE_CODES.resync, 'push slices missing on a shard');
            }
          },
        }
      : {}),
  });
  const seed = options.run.seed;
  return { runId, seed, clock, store, outbox, totals, ledger, coverage, membership, policy, checkpoints, accounting, gate, desk, intake, liveness, remove, assign };
}
