/**
 * One process training the model of record on the chosen backend with the worker's own code path
 * (batch fill + gradients from @dtrain/trainer, the server's Adam from @dtrain/training, weights written back), no network. It
 * doubles as the leak check: live tensors and RSS are recorded every `--every` steps.
 * Run: node --expose-gc --import tsx bench/src/single-process.ts [--steps 1000] [--every 100] [--backend wasm]
 * Prints one JSON line (samples_per_s, samples: [{step, tensors, rss_bytes, heap_used_bytes}], flat).
 * With --barrier (started with an IPC channel), each timed step waits for the parent's 'go' and answers
 * 'done', as BSP workers wait for the slowest one; samples_per_s then counts that wait too.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '@dtrain/engine';
import { initEngine } from '@dtrain/engine';
import { loadDataset } from '@dtrain/data';
import { buildModel, getFlatWeights, modelConfig, setFlatWeights } from '@dtrain/model';
import { createBatchGradients } from '@dtrain/trainer';
import { createRng, shuffleInPlace } from '@dtrain/common';
import { createAdam } from '@dtrain/training';
import { PEER_ADAM } from './peer-adam';
import { argNumber, argString } from './args';

/** Batch per step, as the PyTorch peer and each cluster worker. */
const BATCH = 64;
/** Steps before timing: JIT warm-up and XNNPACK operator creation. */
const WARMUP = 5;
/**
 * RSS may rise while allocators and the JIT settle; "flat" compares the second sample with the last
 * and allows this much growth (a leak of one 900 KB gradient per step would add ~0.9 GB over 1,000).
 */
const RSS_SLACK_BYTES = 32 * 1024 * 1024;

export interface MemorySample {
  step: number;
  tensors: number;
  rss_bytes: number;
  heap_used_bytes: number;
}

async function main(): Promise<void> {
  const steps = argNumber('steps', 1000);
  const every = argNumber('every', 100);
  const barrier = process.argv.includes('--barrier') && typeof process.send === 'function' ? ipcBarrier() : undefined;
  const backend = argString('backend', 'wasm') as BackendName;
  const engine = await initEngine({ backend, env: {} });
  const data = await loadDataset(argString('dataset', 'mnist-subset'));
  const model = buildModel(modelConfig('cnn', data.train.numClasses), { seed: 1 });
  const grads = createBatchGradients(model, data.train, { augment: null });
  const weights = getFlatWeights(model);
  const adam = createAdam(weights.length, PEER_ADAM);
  const order = Uint32Array.from({ length: data.train.count }, (_, i) => i);
  shuffleInPlace(order, createRng(42));
  const batches = Math.floor(order.length / BATCH);
  const step = (i: number): void => {
    const b = i % batches;
    const r = grads.compute(order.subarray(b * BATCH, (b + 1) * BATCH), 0);
    adam.apply(weights, r.grads);
    setFlatWeights(model, weights);
  };
  for (let i = 0; i < WARMUP; i++) step(i);
  const samples: MemorySample[] = [];
  // With --expose-gc (the bench passes it), a full collection before each sample: a leak is memory a
  // collection cannot take back, while garbage V8 has merely not collected yet makes RSS look like one
  // (the step allocates little, so full collections are rare and the old space grows between them).
  const gc = (globalThis as { gc?: () => void }).gc;
  const record = (at: number): void => {
    gc?.();
    const mem = process.memoryUsage();
    samples.push({ step: at, tensors: tf.memory().numTensors, rss_bytes: mem.rss, heap_used_bytes: mem.heapUsed });
  };
  record(0);
  let timedMs = 0;
  barrier?.ready();
  for (let i = 1; i <= steps; i++) {
    if (barrier) await barrier.go();
    const t0 = performance.now();
    step(WARMUP + i);
    timedMs += performance.now() - t0;
    if (barrier) {
      barrier.done();
      // the time from one go to the next is the step as the pair sees it (the first go waits for the start)
      if (i > 1) timedMs += barrier.waitedMs();
    }
    if (i % every === 0) record(i);
  }
  barrier?.close();
  const second = samples[1] ?? samples[0]!;
  const last = samples[samples.length - 1]!;
  const tensorsFlat = samples.every((s) => s.tensors === samples[0]!.tensors);
  const rssGrowth = last.rss_bytes - second.rss_bytes;
  console.log(
    JSON.stringify({
      backend: engine.backend,
      simd: engine.simd ?? null,
      batch: BATCH,
      steps,
      samples_per_s: Math.round((steps * BATCH * 1000) / timedMs),
      ms_per_step: Math.round((timedMs / steps) * 100) / 100,
      memory: samples,
      tensors_flat: tensorsFlat,
      rss_growth_bytes: rssGrowth,
      rss_flat: rssGrowth <= RSS_SLACK_BYTES,
      rss_slack_bytes: RSS_SLACK_BYTES,
      gc_before_samples: gc !== undefined,
    }),
  );
  grads.dispose();
  model.dispose();
}

/** The child's side of the parent's per-step barrier: 'go' starts a step, 'done' reports it. */
function ipcBarrier(): { ready(): void; go(): Promise<void>; done(): void; waitedMs(): number; close(): void } {
  let release: (() => void) | undefined;
  let pending = 0;
  let waited = 0;
  process.on('message', (m: unknown) => {
    if (m !== 'go') return;
    if (release) {
      release();
      release = undefined;
    } else pending++;
  });
  return {
    go: () => {
      const t0 = performance.now();
      const settle = (): void => void (waited = performance.now() - t0);
      if (pending > 0) {
        pending--;
        settle();
        return Promise.resolve();
      }
      return new Promise<void>((res) => (release = () => (settle(), res())));
    },
    ready: () => void process.send?.('ready'),
    done: () => void process.send?.('done'),
    waitedMs: () => waited,
    close: () => process.disconnect?.(),
  };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
