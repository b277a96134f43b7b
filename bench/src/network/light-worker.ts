/**
 * A lighter synthetic worker, for the points where N real worker code paths in one process would
 * need more CPU than this 2-core machine has (the real worker's int4 error-feedback compression
 * alone is ~7 ms of CPU per step: 32 of them are 224 ms of CPU per 24 ms step). It speaks the real
 * protocol over the same bound, shaped socket (join with the token, heartbeats, a push per work)
 * and sends real frames — real gradients of the model, compressed once per process by the real
 * error-feedback codec and cycled — but does not re-compress each step or load the weights it
 * receives. Its wait stands for the whole of a real worker's step: the measured compute plus the
 * measured compression (calibrate-compute.ts), counted from the work frame's arrival.
 */
import WebSocket from 'ws';
import type { DatasetSplits } from '@dtrain/data';
import { buildModel, validateModelConfig } from '@dtrain/model';
import type { EncodedTensor, Message, Welcome } from '@dtrain/protocol';
import { PROTOCOL_VERSION, bearerHeader, decodeMessage, encodeMessage } from '@dtrain/protocol';
import { COMPRESSION_KINDS, ErrorFeedback, parseCompression } from '@dtrain/training';
import type { GradientPool } from './synthetic-gradients';

/** Encoded pushes of one process: made once from the pool's real gradients, read-only after. */
export class EncodedPushes {
  private pending: Promise<{ pushes: EncodedTensor[]; losses: number[] }> | undefined;

  constructor(
    private readonly pool: GradientPool,
    private readonly count: number,
  ) {}

  get(w: Welcome, data: DatasetSplits): Promise<{ pushes: EncodedTensor[]; losses: number[] }> {
    this.pending ??= (async () => {
      const model = buildModel(validateModelConfig(w.model), { seed: w.hyper.seed });
      try {
        const { grads, losses } = await this.pool.get(model, data.train, { augment: null, frozen: w.frozen ?? [] });
        const spec = parseCompression(w.compression);
        const feedback = new ErrorFeedback(model.countParams(), spec);
        const pushes: EncodedTensor[] = [];
        for (let i = 0; i < this.count; i++) {
          const g = grads[i % grads.length] as Float32Array;
          // Lossless 'none' skips error feedback in the real worker too: the frame is the gradient.
          pushes.push(spec.kind === 'none' ? { codec: 'fp32', length: g.length, data: g } : copyEncoded(feedback.compress(g)));
        }
        return { pushes, losses: pushes.map((_, i) => losses[i % losses.length] as number) };
      } finally {
        model.dispose();
      }
    })();
    return this.pending;
  }
}

/** The codec's buffers may be reused by the next compress: keep copies. */
function copyEncoded(e: EncodedTensor): EncodedTensor {
  return structuredClone(e);
}

export interface LightWorkerOptions {
  url: string;
  token: string;
  workerId: string;
  localAddress: string;
  /** The wait per batch-64 step: compute + compression of a real worker. */
  stepMs: number;
  batch: number;
  offset: number;
  pushes: EncodedPushes;
  loadData: (spec: string) => Promise<DatasetSplits>;
  onPush: () => void;
}

export interface LightWorkerResult {
  workerId: string;
  steps: number;
  samples: number;
  connections: number;
  reason: 'finished' | 'stopped';
  computeMs: number;
  encodeMs: number;
  weightsMs: number;
  late_steps: number;
  late_ms: number;
}

const zeroMask = (mask: Buffer): void => {
  mask.fill(0);
};

export function runLightWorker(o: LightWorkerOptions): Promise<LightWorkerResult> {
  const r: LightWorkerResult = { workerId: o.workerId, steps: 0, samples: 0, connections: 0, reason: 'finished', computeMs: 0, encodeMs: 0, weightsMs: 0, late_steps: 0, late_ms: 0 };
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(o.url, { perMessageDeflate: false, generateMask: zeroMask, localAddress: o.localAddress, maxPayload: 64 * 1024 * 1024, headers: { authorization: bearerHeader(o.token) } });
    ws.binaryType = 'nodebuffer';
    let ready: Promise<{ pushes: EncodedTensor[]; losses: number[] }> | undefined;
    let heartbeat: ReturnType<typeof setInterval> | undefined;
    let i = o.offset;
    const send = (m: Message): void => {
      if (ws.readyState === WebSocket.OPEN) ws.send(encodeMessage(m), { binary: true });
    };
    ws.on('open', () => {
      r.connections++;
      send({ type: 'join', v: PROTOCOL_VERSION, requestId: 1, workerId: o.workerId, token: o.token, protocolVersion: PROTOCOL_VERSION, capabilities: { backend: 'synthetic', compression: [...COMPRESSION_KINDS], maxFrameBytes: 64 * 1024 * 1024, pid: process.pid, host: o.localAddress } });
    });
    ws.on('message', (raw: Buffer) => {
      const arrived = performance.now();
      const msg = decodeMessage(raw);
      switch (msg.type) {
        case 'welcome': {
          const w = msg;
          ready = o.loadData(w.dataset).then((d) => o.pushes.get(w, d));
          heartbeat = setInterval(() => send({ type: 'heartbeat', v: PROTOCOL_VERSION, ts: Date.now(), stats: { step: r.steps, samplesPerSec: 0, computeMs: r.computeMs, encodeMs: 0, rssBytes: process.memoryUsage.rss() } }), w.heartbeatMs);
          return;
        }
        case 'work': {
          const work = msg;
          const deadline = arrived + (o.stepMs * work.indices.length) / o.batch;
          void (ready ?? Promise.reject(new Error('work before welcome'))).then(async (p) => {
            const left = deadline - performance.now();
            if (left > 0) await new Promise((res) => setTimeout(res, left));
            else if (r.steps > 0) {
              r.late_steps++;
              r.late_ms -= left;
            }
            const k = i++ % p.pushes.length;
            const computeMs = performance.now() - arrived;
            send({ type: 'push', v: PROTOCOL_VERSION, workerId: o.workerId, step: work.step, baseVersion: work.baseVersion, samples: work.indices.length, loss: p.losses[k] as number, computeMs, grad: p.pushes[k] as EncodedTensor });
            r.computeMs += computeMs;
            r.steps++;
            r.samples += work.indices.length;
            o.onPush();
          }, reject);
          return;
        }
        case 'done':
          r.reason = msg.reason === 'stopped' ? 'stopped' : 'finished';
          ws.close(1000, 'done');
          return;
        case 'error':
          if (msg.fatal) reject(new Error(`server refused: ${msg.code}: ${msg.message}`));
          return;
        default:
          // weights, assign, ack: a real worker loads the weights; this one only receives them.
          return;
      }
    });
    ws.on('error', (err) => reject(err));
    ws.on('close', () => {
      if (heartbeat) clearInterval(heartbeat);
      resolve(r);
    });
  });
}
