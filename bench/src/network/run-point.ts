/**
 * One measured point: a fresh topology, the parameter server (and K shards) in their namespaces,
 * the synthetic workers in theirs, one BSP run of about `steps` steps, and what came back — the
 * server's `--json` summary, each worker process's report and every process's CPU.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelName } from '@dtrain/model';
import { modelConfig, parameterCount } from '@dtrain/model';
import { Child } from './child';
import type { WorkerImpl, WorkerProcessReport, WorkerProcessSpec } from './worker-process';
import { SERVER_IP, SERVER_NS, WORKER_NS, createTopology, destroyTopology, shardIp, shardNs, workerIp } from './topology';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
export const DTRAIN = path.join(repoRoot, 'bin/dtrain.js');
export const WORKER_PROCESS = path.join(here, 'worker-process.ts');
export const PORT = 7070;
export const SHARD_PORT = 7071;
export const TOKEN = 'network-bench-token-0123456789';
/** Full MNIST's training split: the dataset the points train on. */
const MNIST_TRAIN = 60_000;
const BATCH = 64;
/** Real gradients each worker process computes once and cycles through. */
const POOL_SIZE = 4;

export type Compression = 'none' | 'int4/int2';
export const COMPRESSIONS: readonly Compression[] = ['none', 'int4/int2'];

export interface PointSpec {
  model: ModelName;
  workers: number;
  shards: number;
  linkMbit: number;
  compression: Compression;
  steps: number;
  computeMs: number;
  /** The real worker's push encode for this point's codec (the light worker waits it too). */
  encodeMs: number;
  impl: WorkerImpl;
  workerProcs: number;
  timeoutMs: number;
}

export interface ServerSummary {
  samples_per_s: number;
  steps: number;
  train_samples: number;
  workers: number;
  gradient_bytes: number;
  weight_bytes: number;
  server_cpu_ms_per_step: number | null;
  step_breakdown_ms: Record<string, number> | null;
  [k: string]: unknown;
}

export interface PointRun {
  spec: PointSpec;
  server: ServerSummary;
  /** The server process's CPU over its whole life (start-up, evaluation included), ms, from /proc. */
  serverProcCpuMs: number;
  workerProcs: WorkerProcessReport[];
  shardProcCpuMs: number[];
  /** Each shard's CPU from the moment the coordinator was listening (its slice open) to the run's end, ms. */
  shardRunCpuMs: number[];
  epochs: number;
  trainLimit: number;
  params: number;
  wallMs: number;
}

/** Epochs × train-limit that give about `steps` steps of N × 64 samples on full MNIST. */
export function planData(steps: number, workers: number): { epochs: number; trainLimit: number } {
  const global = BATCH * workers;
  const samples = steps * global;
  const epochs = Math.max(1, Math.ceil(samples / MNIST_TRAIN));
  const trainLimit = Math.max(global, Math.min(MNIST_TRAIN, Math.round(samples / epochs / global) * global));
  return { epochs, trainLimit };
}

function compressionFlags(c: Compression): string[] {
  return c === 'none' ? ['--compression', 'none', '--weights-compression', 'none'] : ['--compression', 'int4', '--weights-compression', 'int2'];
}

/** Which worker indices each process takes: as even as the count allows. */
function split(workers: number, procs: number): [number, number][] {
  const p = Math.max(1, Math.min(procs, workers));
  return Array.from({ length: p }, (_, j) => [Math.floor((j * workers) / p), Math.floor(((j + 1) * workers) / p)]);
}

/** Children of the point now running, so a signal handler can end them (by pid). */
export const liveChildren = new Set<Child>();

export function start(name: string, ns: string, args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const c = new Child(name, 'ip', ['netns', 'exec', ns, process.execPath, ...args], { ...process.env, DTRAIN_TOKEN: TOKEN, ...env });
  liveChildren.add(c);
  void c.exited.then(() => liveChildren.delete(c));
  return c;
}

/** `count` `dtrain shard` processes, shard k in its own namespace at its address; resolves with their URLs once each listens. */
export async function startShards(count: number, children: Child[]): Promise<string[]> {
  const urls: string[] = [];
  for (let k = 1; k <= count; k++) {
    const sh = start(`shard ${k}`, shardNs(k), ['--initial-old-space-size=256', DTRAIN, 'shard', '--host', shardIp(k), '--port', String(SHARD_PORT), '--log-level', 'error']);
    children.push(sh);
    await sh.waitForStderr(/port \d+|listening/, 60_000);
    urls.push(`ws://${shardIp(k)}:${SHARD_PORT}`);
  }
  return urls;
}

/**
 * `dtrain server` in the server namespace, BSP on full MNIST at batch `batch` per worker, with the
 * run's own flags after the common ones; resolves once it listens.
 */
export async function startServer(
  o: { workers: number; model: string; epochs: number; trainLimit: number; batch: number; flags: string[]; outDir: string },
  children: Child[],
): Promise<Child> {
  const server = start('server', SERVER_NS, [
    '--initial-old-space-size=256',
    DTRAIN,
    'server',
    '--host',
    SERVER_IP,
    '--port',
    String(PORT),
    '--workers',
    String(o.workers),
    '--dataset',
    'mnist',
    '--model',
    o.model,
    '--epochs',
    String(o.epochs),
    '--train-limit',
    String(o.trainLimit),
    '--test-limit',
    '100',
    '--batch-size',
    String(o.batch),
    ...o.flags,
    '--out',
    o.outDir,
    '--json',
    '--log-level',
    'error',
  ]);
  children.push(server);
  await server.waitForStderr(/\(port \d+\)/, 120_000);
  return server;
}

export async function runPoint(spec: PointSpec): Promise<PointRun> {
  const t0 = performance.now();
  const { epochs, trainLimit } = planData(spec.steps, spec.workers);
  createTopology({ workers: spec.workers, shards: spec.shards, linkMbit: spec.linkMbit });
  const children: Child[] = [];
  try {
    const shardUrls = spec.shards > 1 ? await startShards(spec.shards, children) : [];
    const flags = [
      ...compressionFlags(spec.compression),
      // Many workers on one busy machine: a heartbeat may be late without the worker being lost.
      '--heartbeat-timeout-ms',
      '60000',
      ...(shardUrls.length > 0 ? ['--shards', shardUrls.join(',')] : []),
    ];
    // The trained model is not what is measured: keep it out of the repository.
    const server = await startServer({ workers: spec.workers, model: spec.model, epochs, trainLimit, batch: BATCH, flags, outDir: path.join(os.tmpdir(), 'dtrain-network-bench') }, children);
    // Shards are open and idle now: what they use from here on is the run's (start-up left out).
    const shardChildren = children.filter((c) => c.name.startsWith('shard'));
    for (const sh of shardChildren) sh.sample();
    const shardBase = shardChildren.map((c) => c.cpuMs);
    const procs = split(spec.workers, spec.workerProcs).map(([from, to], j) => {
      const ws: WorkerProcessSpec = {
        serverUrl: `ws://${SERVER_IP}:${PORT}`,
        token: TOKEN,
        from,
        to,
        addresses: Array.from({ length: to - from }, (_, k) => workerIp(from + k)),
        computeMs: spec.computeMs,
        impl: spec.impl,
        encodeMs: spec.encodeMs,
        batch: BATCH,
        poolSize: POOL_SIZE,
      };
      return start(`worker process ${j}`, WORKER_NS, [...(process.env['NETBENCH_PROF'] ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : []), '--import', 'tsx', WORKER_PROCESS, JSON.stringify(ws)]);
    });
    children.push(...procs);
    const code = await server.exit(spec.timeoutMs);
    const summary = server.lastJson<ServerSummary>();
    if (code !== 0 || !summary || typeof summary.samples_per_s !== 'number') throw new Error(`server exited ${code} without a summary; stderr: ${server.stderr.slice(-10).join(' | ')}`);
    const reports: WorkerProcessReport[] = [];
    for (const p of procs) {
      const c = await p.exit(60_000);
      const r = p.lastJson<WorkerProcessReport>();
      if (c !== 0 || !r) throw new Error(`${p.name} exited ${c} without a report; stderr: ${p.stderr.slice(-10).join(' | ')}`);
      reports.push(r);
    }
    for (const sh of shardChildren) sh.sample();
    return {
      spec,
      server: summary,
      serverProcCpuMs: server.cpuMs,
      workerProcs: reports,
      shardProcCpuMs: shardChildren.map((c) => c.cpuMs),
      shardRunCpuMs: shardChildren.map((c, k) => c.cpuMs - (shardBase[k] ?? 0)),
      epochs,
      trainLimit,
      params: parameterCount(modelConfig(spec.model)),
      wallMs: performance.now() - t0,
    };
  } finally {
    for (const c of children) c.kill();
    await Promise.all(children.map((c) => c.exited));
    destroyTopology();
  }
}
