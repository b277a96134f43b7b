import type { Logger } from '@dtrain/common';
import type { TrainableLayout } from '@dtrain/model';
import { ManualClock } from '@dtrain/common/testing';
import type { Ack, ErrorMessage, Join, Message, Work } from '@dtrain/protocol';
import { PROTOCOL_VERSION, decodeMessage, encodeMessage } from '@dtrain/protocol';
import type { RunConfig } from '@dtrain/trainer';
import type { EvaluationReport } from '@dtrain/training';
import { COMPRESSION_KINDS, decodeTensor, evaluationReport } from '@dtrain/training';
import type { CheckpointState } from './checkpoint-state';
import { Coordinator } from './coordinator';
import type { CoordinatorEvents } from './coordinator-events';
import type { Peer } from './member';
import { ParameterStore } from './parameter-store';
import type { ServerOptions } from './server-options';
import { resolveServerOptions } from './server-options';

/** One log record, for tests that check something was logged. */
export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  fields: Record<string, unknown>;
}

/** A Logger that keeps every record in memory. */
export function recordingLogger(records: LogRecord[] = []): Logger & { records: LogRecord[] } {
  const make = (bound: Record<string, unknown>): Logger & { records: LogRecord[] } => {
    const at =
      (level: LogRecord['level']) =>
      (msg: string, fields?: Record<string, unknown>): void => {
        records.push({ level, msg, fields: { ...bound, ...fields } });
      };
    return { records, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (f) => make({ ...bound, ...f }) };
  };
  return make({});
}

let nextPeerId = 1;

/** A connection as the coordinator sees it; frames it is sent are decoded and kept in order. */
export class FakePeer implements Peer {
  readonly id = nextPeerId++;
  readonly remote = `fake:${this.id}`;
  readonly received: Message[] = [];
  closed: { code: number; reason: string } | undefined;

  send(frame: Uint8Array): void {
    if (!this.closed) this.received.push(decodeMessage(frame));
  }

  close(code: number, reason: string): void {
    this.closed ??= { code, reason };
  }

  all<T extends Message['type']>(type: T): Extract<Message, { type: T }>[] {
    return this.received.filter((m): m is Extract<Message, { type: T }> => m.type === type);
  }
}

/**
 * A worker without TF.js: holds the weights it is sent and answers `work` with a gradient that is a
 * fixed function of (weights, indices), so two runs that hand out the same work end identically.
 */
export class FakeWorker {
  readonly peer = new FakePeer();
  weights: Float32Array;
  version = -1;
  private seen = 0;
  private readonly queue: { work: Work; weights: Float32Array }[] = [];

  constructor(
    private readonly cluster: TestCluster,
    readonly workerId: string | undefined,
  ) {
    this.weights = new Float32Array(cluster.store.size);
    cluster.coordinator.connect(this.peer);
  }

  join(extra: Partial<Join> = {}): this {
    const join: Join = {
      type: 'join',
      v: PROTOCOL_VERSION,
      requestId: 1,
      protocolVersion: PROTOCOL_VERSION,
      capabilities: { backend: 'fake', compression: [...COMPRESSION_KINDS], maxFrameBytes: 1 << 20 },
      ...(this.workerId !== undefined ? { workerId: this.workerId } : {}),
      ...(this.cluster.options.token !== undefined ? { token: this.cluster.options.token } : {}),
      ...extra,
    };
    return this.send(join);
  }

  send(msg: Message | Uint8Array): this {
    this.cluster.coordinator.frame(this.peer, msg instanceof Uint8Array ? msg : encodeMessage(msg, { validate: false }));
    return this;
  }

  /** Work handed out and not yet answered, oldest first (weights applied as they arrived). */
  pending(): Work[] {
    return this.sync().map((q) => q.work);
  }

  private sync(): { work: Work; weights: Float32Array }[] {
    for (; this.seen < this.peer.received.length; this.seen++) {
      const msg = this.peer.received[this.seen]!;
      if (msg.type === 'weights') {
        if (msg.layout === 'trainable') {
          if (!this.cluster.pushLayout || this.version < 0) throw new Error('packed weights without the frozen ones');
          this.cluster.pushLayout.place(decodeTensor(msg.payload), this.weights);
        } else if (msg.encoding === 'full') decodeTensor(msg.payload, this.weights);
        else {
          const delta = decodeTensor(msg.payload);
          for (let i = 0; i < delta.length; i++) this.weights[i]! += delta[i]!;
        }
        this.version = msg.version;
      } else if (msg.type === 'work') this.queue.push({ work: msg, weights: this.weights.slice() });
    }
    return this.queue;
  }

  /** Computes and pushes the oldest pending work; returns it (undefined when there is none). */
  pushNext(tamper: (push: Message & { type: 'push' }) => Message = (p) => p): Work | undefined {
    const next = this.sync().shift();
    if (!next) return undefined;
    const w = next.work;
    const grad = fakeGradient(next.weights, w.indices);
    this.send(tamper({ type: 'push', v: PROTOCOL_VERSION, workerId: this.peer.received.find((m) => m.type === 'welcome')?.workerId ?? this.workerId ?? '?', step: w.step, baseVersion: w.baseVersion, samples: w.indices.length, loss: 1, grad: { codec: 'fp32', length: grad.length, data: grad } }));
    return w;
  }

  acks(): Ack[] {
    return this.peer.all('ack');
  }

  errors(): ErrorMessage[] {
    return this.peer.all('error');
  }
}

/**
 * The mean over the batch of a per-sample gradient g_i[j] = w[j] − t_i − j/100 with t_i = (i mod 97)/97:
 * deterministic, different per sample, and — like a real mean-loss gradient — weighting it by the
 * batch size gives the sum over samples, so how a step's samples are cut into chunks does not matter.
 */
export function fakeGradient(weights: Float32Array, indices: ArrayLike<number>): Float32Array {
  let t = 0;
  for (let i = 0; i < indices.length; i++) t += ((indices[i] as number) % 97) / 97;
  const target = indices.length > 0 ? t / indices.length : 0;
  return Float32Array.from(weights, (w, j) => w - target - j * 0.01);
}

export interface TestClusterOptions extends Partial<Omit<ServerOptions, 'run'>> {
  run?: Partial<RunConfig>;
  /** Training samples (global indices 0..n-1, labels i % 2). */
  samples?: number;
  /** Weights in the tiny "model". */
  size?: number;
  restored?: CheckpointState;
  events?: Partial<CoordinatorEvents>;
  /** Frozen layers' layout: pushes may carry only the weights that train. */
  pushLayout?: TrainableLayout;
  /** The optimizer's mask (0 = frozen), as the server derives it from the frozen layers. */
  mask?: Uint8Array;
}

export interface TestCluster {
  readonly clock: ManualClock;
  readonly options: ServerOptions;
  readonly store: ParameterStore;
  readonly coordinator: Coordinator;
  readonly log: Logger & { records: LogRecord[] };
  /** Every checkpoint the coordinator asked to persist, in order. */
  readonly checkpoints: CheckpointState[];
  readonly pushLayout: TrainableLayout | undefined;
  worker(workerId?: string): FakeWorker;
}

/**
 * A Coordinator over a tiny flat "model" (SGD, lr 0.1), a ManualClock and fake peers: the whole
 * state machine without TF.js or sockets. The coordinator is started (liveness timers running).
 */
export function createTestCluster(o: TestClusterOptions = {}): TestCluster {
  const { run, samples = 40, size = 4, restored, events, pushLayout, mask, ...rest } = o;
  const options = resolveServerOptions({ workers: 2, heartbeatMs: 100, heartbeatTimeoutMs: 1_000, helloTimeoutMs: 500, ...rest, run: { batchSize: 4, epochs: 1, ...run } });
  const clock = new ManualClock(1_000);
  const store = new ParameterStore(new Float32Array(size).fill(0.5), { kind: 'sgd', learningRate: 0.1 }, mask);
  const log = recordingLogger();
  const checkpoints: CheckpointState[] = [];
  const evaluate = async (): Promise<EvaluationReport> => evaluationReport([0, 1], [0, 1], 2);
  const coordinator = new Coordinator({
    options,
    clock,
    log,
    store,
    runId: 'test-run',
    model: {},
    manifest: { names: ['w'], shapes: [[size]], totalSize: size },
    data: { indices: Uint32Array.from({ length: samples }, (_, i) => i), labels: Uint8Array.from({ length: samples }, (_, i) => i % 2), numClasses: 2 },
    evaluate,
    checkpoint: async (s) => void checkpoints.push(s),
    ...(restored ? { restored } : {}),
    ...(events ? { events } : {}),
    ...(pushLayout ? { pushLayout } : {}),
  });
  coordinator.start();
  const cluster: TestCluster = { clock, options, store, coordinator, log, checkpoints, pushLayout, worker: (id) => new FakeWorker(cluster, id) };
  return cluster;
}

/** Lets promise chains (evaluation, checkpoint writes) run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Every worker answers all its pending work, round after round, until the run is finished or stuck. */
export async function runToEnd(cluster: TestCluster, workers: FakeWorker[], maxRounds = 10_000): Promise<void> {
  for (let round = 0; round < maxRounds && cluster.coordinator.state !== 'finished'; round++) {
    let pushed = 0;
    for (const w of workers) while (w.pushNext()) pushed++;
    await settle();
    if (pushed === 0 && workers.every((w) => w.pending().length === 0)) {
      await settle(20);
      if (workers.every((w) => w.pending().length === 0)) return;
    }
  }
}
