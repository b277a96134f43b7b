/**
 * Training-step throughput of the model of record (batch 64: gradients + flat Adam update + weights
 * written back) on every backend that loads, against PyTorch 1 process × 1 thread when available.
 * `--model resnet-bn` measures models/resnet-bn/model.json (a functional model with batch norm,
 * residual adds and a separable conv) instead, against bench/torch/resnet_bn_step.py (the same
 * layers in PyTorch).
 * Run: npx tsx bench/src/step-throughput.ts [--model cnn|resnet-bn] [--steps 60] [--cpu-steps 1] [--backends wasm,cpu] [--no-peer]
 * Writes bench/results/step-throughput.json (step-throughput-resnet-bn.json). Numbers are noisy on a
 * shared machine: compare ratios from one run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '@dtrain/engine';
import { initEngine } from '@dtrain/engine';
import { buildModel, createGradientComputer, getFlatWeights, loadModel, modelConfig, setFlatWeights, weightManifest } from '@dtrain/model';
import { createAdam } from '@dtrain/training';
import { PEER_ADAM } from './peer-adam';
import type { PeerResult } from './torch-peer';
import { runTorchPeer } from './torch-peer';

/** Batch per step of the PyTorch peer, so samples/s compare like with like. */
const BATCH = 64;
/** Steps before timing: JIT warm-up and XNNPACK operator creation. */
const WARMUP = 5;
/** Distinct batches cycled through, like the peer's 8 × batch random pool. */
const POOL_BATCHES = 8;

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const peerScript = path.resolve(repoRoot, '../shared/bench/torch_ddp_bench.py');
const modelIndex = process.argv.indexOf('--model');
const MODEL = modelIndex >= 0 ? (process.argv[modelIndex + 1] ?? 'cnn') : 'cnn';
if (MODEL !== 'cnn' && MODEL !== 'resnet-bn') throw new Error(`--model must be cnn or resnet-bn, not ${MODEL}`);
/** The model under test, built fresh on the backend being measured. */
async function benchModel(): Promise<tf.LayersModel> {
  if (MODEL === 'cnn') return buildModel(modelConfig('cnn'), { seed: 1 });
  return (await loadModel(path.join(repoRoot, 'models/resnet-bn/model.json'), { seed: 1 })).model;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

interface BackendResult {
  backend: BackendName;
  available: boolean;
  reason?: string;
  steps?: number;
  samples_per_s?: number;
  ms_per_step?: number;
  ms_gradients?: number;
  ms_update?: number;
  simd?: boolean;
  kernels_ms?: Record<string, number>;
}

function pool(perSample: number): { images: Float32Array; labels: Int32Array } {
  const images = new Float32Array(POOL_BATCHES * BATCH * perSample);
  for (let i = 0; i < images.length; i++) images[i] = Math.random();
  const labels = Int32Array.from({ length: POOL_BATCHES * BATCH }, () => Math.floor(Math.random() * 10));
  return { images, labels };
}

async function kernelProfile(step: () => void, runs: number): Promise<Record<string, number>> {
  const total = new Map<string, number>();
  for (let r = 0; r < runs; r++) {
    const p = await tf.profile(step);
    for (const k of p.kernels) total.set(k.name, (total.get(k.name) ?? 0) + Number(k.kernelTimeMs));
  }
  return Object.fromEntries([...total].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round((v / runs) * 100) / 100]));
}

async function measure(backend: BackendName, steps: number, profile: boolean): Promise<BackendResult> {
  let simd: boolean | undefined;
  try {
    simd = (await initEngine({ backend, env: {} })).simd;
  } catch (err) {
    return { backend, available: false, reason: (err as Error).message };
  }
  const model = await benchModel();
  const perSample = (model.inputs[0]?.shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
  const grads = createGradientComputer(model, { reuseBuffer: true });
  const adam = createAdam(weightManifest(model).totalSize, PEER_ADAM);
  const weights = getFlatWeights(model);
  const data = pool(perSample);
  let gradMs = 0;
  let updateMs = 0;
  const step = (i: number): void => {
    const b = i % POOL_BATCHES;
    const t0 = performance.now();
    const r = grads.compute(data.images.subarray(b * BATCH * perSample, (b + 1) * BATCH * perSample), data.labels.subarray(b * BATCH, (b + 1) * BATCH), BATCH);
    const t1 = performance.now();
    adam.apply(weights, r.grads);
    setFlatWeights(model, weights);
    gradMs += t1 - t0;
    updateMs += performance.now() - t1;
  };
  // cpu takes ~50 s a step: its one timed step doubles as its warm-up.
  for (let i = 0; i < (backend === 'cpu' ? 0 : WARMUP); i++) step(i);
  gradMs = 0;
  updateMs = 0;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step(i);
  const ms = (performance.now() - t0) / steps;
  const result: BackendResult = {
    backend,
    available: true,
    steps,
    samples_per_s: Math.round((BATCH * 1000) / ms),
    ms_per_step: Math.round(ms * 100) / 100,
    ms_gradients: Math.round((gradMs / steps) * 100) / 100,
    ms_update: Math.round((updateMs / steps) * 100) / 100,
  };
  if (simd !== undefined) result.simd = simd;
  if (profile) result.kernels_ms = await kernelProfile(() => step(0), 3);
  grads.dispose();
  model.dispose();
  return result;
}

/** The peer's run, or why it is missing. */
function peer(skip: boolean): PeerResult {
  if (skip) return { available: false, reason: 'skipped (--no-peer)' };
  if (MODEL === 'resnet-bn') return runTorchPeer(path.join(repoRoot, 'bench/torch/resnet_bn_step.py'), ['--threads', '1', '--steps', '30']);
  return runTorchPeer(peerScript, ['--procs', '1', '--threads', '1', '--steps', '60']);
}

async function main(): Promise<void> {
  const steps = arg('steps', 60);
  const skipPeer = process.argv.includes('--no-peer');
  const loadStart = os.loadavg();
  // The machine is shared: run the peer before and after ours and compare with the mean, so a load
  // change during the run does not land on one side only.
  const peerBefore = peer(skipPeer);
  const results: BackendResult[] = [];
  const only = process.argv.indexOf('--backends');
  const wanted = only >= 0 ? (process.argv[only + 1] ?? '').split(',') : ['tensorflow', 'wasm', 'cpu'];
  for (const backend of (['tensorflow', 'wasm', 'cpu'] as const).filter((b) => wanted.includes(b))) {
    const n = backend === 'cpu' ? arg('cpu-steps', 1) : steps;
    const r = await measure(backend, n, backend === 'wasm');
    console.log(r.available ? `${backend}: ${r.samples_per_s} samples/s, ${r.ms_per_step} ms/step (${n} steps)` : `${backend}: unavailable (${r.reason})`);
    results.push(r);
  }
  const peerAfter = peer(skipPeer);
  const peerRuns = [peerBefore, peerAfter].flatMap((p) => (p.available ? [p.samples_per_s] : []));
  const peerMean = peerRuns.length > 0 ? peerRuns.reduce((a, b) => a + b, 0) / peerRuns.length : undefined;
  console.log(peerMean !== undefined ? `pytorch 1×1: ${peerRuns.join(' / ')} samples/s (before / after)` : `pytorch: unavailable (${peerBefore.available ? '' : peerBefore.reason})`);
  const ratios: Record<string, number> = {};
  if (peerMean !== undefined) {
    for (const r of results) if (r.available && r.samples_per_s) ratios[`${r.backend}/pytorch`] = Math.round((r.samples_per_s / peerMean) * 1000) / 1000;
    console.log('ratios', ratios);
  }
  const out = {
    benchmark: 'step-throughput',
    model: MODEL,
    batch: BATCH,
    when: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    results,
    pytorch: { before: peerBefore, after: peerAfter, mean_samples_per_s: peerMean },
    loadavg: { start: loadStart, end: os.loadavg() },
    ratios,
  };
  const dir = path.resolve(here, '../results');
  mkdirSync(dir, { recursive: true });
  const file = MODEL === 'cnn' ? 'step-throughput.json' : `step-throughput-${MODEL}.json`;
  writeFileSync(path.join(dir, file), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote ${path.join(dir, file)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
