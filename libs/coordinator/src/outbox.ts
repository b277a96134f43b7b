import type { Clock } from '@dtrain/common';
import { mixSeed } from '@dtrain/common';
import type { TrainableLayout } from '@dtrain/model';
import type { AckStatus, Message, ModelManifest, ShardSpec } from '@dtrain/protocol';
import { PROTOCOL_VERSION } from '@dtrain/protocol';
import type { Member } from './member';
import type { ParameterStore } from './parameter-store';
import type { RunAccounting } from './run-accounting';
import type { ServerOptions } from './server-options';
import { weightsCodec } from './server-options';
import { WeightsEncoder } from '@dtrain/weights-sync';
import type { ShardPlane } from './shard-plane';

/**
 * Every message the server sends a member, built in one place: welcome, assign, work (preceded by
 * the weights the member lacks, as a compressed delta or in full), acks, and broadcasts. Numbers
 * the steps it hands out.
 */
export class Outbox {
  /** The next step number handed out (global, monotonic: a (worker, step) pair is unique). */
  step = 0;
  /** Built on first use: the frames that bring each worker's weights up to date. */
  private weightsEncoder: WeightsEncoder | undefined;

  constructor(
    private readonly o: {
      options: ServerOptions;
      clock: Clock;
      store: ParameterStore;
      accounting: RunAccounting;
      runId: string;
      model: unknown;
      manifest: ModelManifest;
      pushLayout: TrainableLayout | undefined;
      /** Sharded: weights come from the shards (told here whom to send what), pushes go to them. */
      shards?: ShardPlane | undefined;
    },
  ) {}

  welcome(m: Member, replyTo: number): void {
    const { options, runId, model, manifest, pushLayout, shards } = this.o;
    const run = options.run;
    this.send(m, {
      type: 'welcome',
      v: PROTOCOL_VERSION,
      replyTo,
      workerId: m.workerId,
      runId,
      model,
      manifest,
      dataset: run.dataset,
      hyper: { batchSize: run.batchSize, learningRate: run.learningRate, epochs: run.epochs, seed: run.seed, augment: run.augment },
      mode: { kind: options.mode, staleness: options.staleness },
      compression: options.compression,
      heartbeatMs: options.heartbeatMs,
      frozen: options.frozen,
      // Sharded pushes are full slices (a frozen weight's zero gradient is masked on its shard).
      ...(pushLayout && !shards ? { pushLayout: 'trainable' as const } : {}),
      session: m.session,
      ...(shards ? { shards: shards.routes, shardTicket: shards.ticket(runId, m.workerId) } : {}),
    });
  }

  assign(m: Member, epoch: number, shard: ShardSpec, members: number): void {
    this.send(m, { type: 'assign', v: PROTOCOL_VERSION, epoch, shard, members });
  }

  /** The weights `m` lacks, then a batch of `indices` under the next step number. */
  work(m: Member, indices: Uint32Array, epoch: number): void {
    const { store, clock, options, accounting } = this.o;
    const step = this.step++;
    const version = store.version;
    if (this.o.shards) {
      // Every shard sends its slice at `version` (after the verdict that made it: each link is ordered).
      if (m.knownVersion !== version) this.o.shards.deliver(m.workerId, version);
      m.knownVersion = version;
    } else if (m.knownVersion !== version) {
      this.weightsEncoder ??= new WeightsEncoder(weightsCodec(options), store.size, this.o.pushLayout);
      const t0 = clock.monotonic();
      const frame = this.weightsEncoder.frameFor(m, m.knownVersion, version, store.weights, m.takesPacked);
      accounting.totals.encodeMs += clock.monotonic() - t0;
      accounting.sendFrame(m, frame);
      accounting.totals.weightBytes += frame.byteLength;
      m.knownVersion = version;
    }
    m.inflight = { step, baseVersion: version, indices, sentAt: clock.monotonic(), cancelled: false };
    m.stats.lastBatch = indices.length;
    const augmentSeed = mixSeed(options.run.seed, epoch, step, indices[0] ?? 0);
    this.send(m, { type: 'work', v: PROTOCOL_VERSION, step, epoch, baseVersion: version, indices, augmentSeed });
  }

  /** An ack; a refusal (`code`) is counted by its code. */
  ack(m: Member, step: number, status: AckStatus, code?: string): void {
    const version = this.o.store.version;
    if (code) this.o.accounting.rejected(code);
    this.send(m, code ? { type: 'ack', v: PROTOCOL_VERSION, step, status, version, code } : { type: 'ack', v: PROTOCOL_VERSION, step, status, version });
  }

  send(m: Member, msg: Message): void {
    this.o.accounting.send(m, msg);
  }

  broadcast(members: Iterable<Member>, msg: Message): void {
    this.o.accounting.broadcast(members, msg);
  }
}
