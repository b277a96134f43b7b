/**
 * Load test of the parameter server: N lightweight workers (in this process, over real ws sockets,
 * speaking the real protocol, no TF.js) answer each `work` with a random finite gradient of the
 * right length; a small model keeps the server's own work small, so what is measured is the
 * server's handling of N members per BSP step. Reports step latency at each N.
 * Run: node --import tsx bench/src/load-test.ts [--workers 8,16,32] [--steps 150]
 * Prints one JSON line.
 */
import WebSocket from 'ws';
import { silentLogger } from '@dtrain/common';
import type { StepEvent } from '@dtrain/coordinator';
import { resolveServerOptions, startParameterServer } from '@dtrain/coordinator';
import { syntheticDataset } from '@dtrain/data/testing';
import { initEngine } from '@dtrain/engine';
import type { ModelConfig } from '@dtrain/model';
import { buildModel } from '@dtrain/model';
import type { Message } from '@dtrain/protocol';
import { PROTOCOL_VERSION, decodeMessage, encodeMessage } from '@dtrain/protocol';
import { argNumber, argString } from './args';

/** 8×8 images → dense 32 → 10: 2,410 weights, so frames stay small and the server's step is bookkeeping. */
const LOAD_MODEL: ModelConfig = {
  name: 'load-test',
  inputShape: [8, 8, 1],
  numClasses: 10,
  layers: [
    { kind: 'flatten', name: 'flatten' },
    { kind: 'dense', name: 'hidden', units: 32, activation: 'relu' },
    { kind: 'dense', name: 'logits', units: 10, activation: 'softmax' },
  ],
};
/** Samples per worker per step. */
const BATCH = 16;
/** Steps at the start of each run left out of the latency figures (connections, JIT). */
const WARMUP_STEPS = 10;

interface FakeWorker {
  ws: WebSocket;
  pushes: number;
}

/** Opens a ws connection, joins, and answers every `work` with a random gradient. */
function fakeWorker(url: string, id: string, size: number): Promise<FakeWorker> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const w: FakeWorker = { ws, pushes: 0 };
    const grad = new Float32Array(size);
    ws.binaryType = 'nodebuffer';
    ws.once('error', reject);
    ws.on('open', () => {
      ws.send(
        encodeMessage({ type: 'join', v: PROTOCOL_VERSION, requestId: 1, workerId: id, protocolVersion: PROTOCOL_VERSION, capabilities: { backend: 'fake', compression: ['none'], maxFrameBytes: 1 << 20 } }),
      );
      resolve(w);
    });
    ws.on('message', (raw: Buffer) => {
      const msg: Message = decodeMessage(raw);
      if (msg.type !== 'work') return;
      for (let i = 0; i < size; i++) grad[i] = (Math.random() - 0.5) * 1e-2;
      const push: Message = { type: 'push', v: PROTOCOL_VERSION, workerId: id, step: msg.step, baseVersion: msg.baseVersion, samples: msg.indices.length, loss: 1, computeMs: 0, grad: { codec: 'fp32', length: size, data: grad } };
      ws.send(encodeMessage(push));
      w.pushes++;
    });
  });
}

const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};
const r2 = (x: number): number => Math.round(x * 100) / 100;

async function runAt(n: number, steps: number): Promise<Record<string, unknown>> {
  const count = n * BATCH * steps;
  const data = { train: syntheticDataset({ count, rows: 8, cols: 8, numClasses: 10 }), test: syntheticDataset({ count: 64, rows: 8, cols: 8, numClasses: 10, seed: 2 }), source: 'synthetic' };
  const options = resolveServerOptions({
    host: '127.0.0.1',
    port: 0,
    workers: n,
    mode: 'bsp',
    // Fake workers send pushes only: the heartbeat check must not count on heartbeats.
    heartbeatMs: 1_000,
    heartbeatTimeoutMs: 60_000,
    run: { dataset: 'synthetic', epochs: 1, batchSize: BATCH, testLimit: 64 },
  });
  const events: StepEvent[] = [];
  const server = await startParameterServer(options, {
    data,
    backend: 'cpu',
    log: silentLogger,
    initialModel: { model: buildModel(LOAD_MODEL, { seed: 1 }), config: LOAD_MODEL },
    events: { stepCompleted: (e) => events.push(e) },
  });
  const size = server.store.size;
  const t0 = performance.now();
  const workers = await Promise.all(Array.from({ length: n }, (_, i) => fakeWorker(server.url, `fake-${i + 1}`, size)));
  const result = await server.done;
  const wallMs = performance.now() - t0;
  for (const w of workers) w.ws.close();
  const lat = events.slice(WARMUP_STEPS).map((e) => e.stepMs);
  const t = result.totals;
  return {
    workers: n,
    steps: t.steps,
    weights: size,
    step_ms_p50: r2(percentile(lat, 50)),
    step_ms_p95: r2(percentile(lat, 95)),
    step_ms_max: r2(Math.max(...lat)),
    step_ms_mean: r2(lat.reduce((a, b) => a + b, 0) / Math.max(1, lat.length)),
    steps_per_s: r2((t.steps * 1000) / Math.max(1, t.trainMs)),
    server_ms_per_step: r2((t.decodeMs + t.aggregateMs + t.applyMs + t.encodeMs) / Math.max(1, t.steps)),
    pushes_applied: t.appliedLog.length,
    every_sample_once: t.coverage.every((c) => c.missed === 0 && c.repeated === 0),
    wall_ms: Math.round(wallMs),
  };
}

async function main(): Promise<void> {
  await initEngine({ backend: 'cpu', env: {} });
  const ns = argString('workers', '8,16,32').split(',').map(Number);
  const steps = argNumber('steps', 150);
  const runs = [];
  for (const n of ns) runs.push(await runAt(n, steps));
  console.log(JSON.stringify({ model: LOAD_MODEL.name, batch_per_worker: BATCH, runs }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
