import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock, Logger } from '@dtrain/common';
import { silentLogger, systemClock } from '@dtrain/common';
import type { DatasetSplits } from '@dtrain/data';
import { TrainableLayout, buildModel, frozenMask, getFlatWeights, modelConfig, saveModel, setFlatWeights, weightManifest } from '@dtrain/model';
import type { ModelConfig } from '@dtrain/model';
import type * as tf from '@tensorflow/tfjs';
import type { EvaluationReport } from '@dtrain/training';
import { calibrateBatchNorm, evaluateModel, trainingIndices } from '@dtrain/trainer';
import type { CheckpointState } from './checkpoint-state';
import { Coordinator } from './coordinator';
import type { CoordinatorEvents, RunTotals } from './coordinator-events';
import { keyRanges } from './key-ranges';
import { ParameterStore } from './parameter-store';
import { ShardPlane } from './shard-plane';
import { weightsCodec } from './server-options';
import type { ServerOptions } from './server-options';
import type { ListeningTransport } from './ws-transport';
import { listen } from './ws-transport';

export interface ServerDeps {
  data: DatasetSplits;
  backend: string;
  clock?: Clock;
  log?: Logger;
  events?: Partial<CoordinatorEvents>;
  /** Start from this model (fine-tuning) instead of a fresh one. */
  initialModel?: { model: tf.LayersModel; config: ModelConfig };
  checkpoint?: {
    save(state: CheckpointState): Promise<void>;
    restored: CheckpointState | undefined;
  };
  /** Extra HTTP routes on the server port (metrics); return true when handled. */
  http?: (req: IncomingMessage, res: ServerResponse) => boolean;
  saveMeta?: Record<string, unknown>;
}

/** One line per worker that ever joined, for workers.json. */
function workerSummaries(c: Coordinator): Record<string, unknown>[] {
  return [...c.members.values()].map((m) => ({
    workerId: m.workerId,
    state: m.state,
    backend: m.backend,
    pushes: m.stats.pushes,
    applied: m.stats.applied,
    dropped: m.stats.dropped,
    rejected: m.stats.rejected,
    samples: m.stats.samples,
    meanStepMs: m.stats.applied + m.stats.dropped > 0 ? Math.round(m.stats.stepMsTotal / (m.stats.applied + m.stats.dropped)) : 0,
    lastStepMs: Math.round(m.stats.lastStepMs),
    maxStaleness: m.stats.maxStaleness,
  }));
}

/** One worker's share of the step-time breakdown, as the server saw it. */
export interface MemberTiming {
  workerId: string;
  applied: number;
  /** Mean time from handing out work to receiving the push. */
  meanStepMs: number;
  /** Mean gradient compute time its pushes reported, first (warm-up) push left out. */
  meanComputeMs: number;
  /** Mean push encode time, from its last heartbeat's running totals. */
  meanEncodeMs: number | undefined;
  tensors: number | undefined;
  peakRssBytes: number | undefined;
  /** The worker process's CPU time per step after its first, from its last heartbeat. */
  cpuMsPerStep: number | undefined;
  /** Kernels that took a slower fallback path in the worker, from its last heartbeat. */
  kernelFallbacks: string[];
}

function memberTimings(c: Coordinator): MemberTiming[] {
  return [...c.members.values()].map((m) => {
    const st = m.stats;
    const rep = st.reported;
    const steps = st.applied + st.dropped;
    return {
      workerId: m.workerId,
      applied: st.applied,
      meanStepMs: steps > 0 ? st.stepMsTotal / steps : 0,
      meanComputeMs: st.computePushes > 0 ? st.computeMsTotal / st.computePushes : 0,
      meanEncodeMs: rep && rep.steps > 0 ? rep.encodeMs / rep.steps : undefined,
      tensors: rep && rep.tensors >= 0 ? rep.tensors : undefined,
      peakRssBytes: rep?.peakRssBytes,
      cpuMsPerStep: rep?.cpuMs !== undefined && rep.cpuSteps ? rep.cpuMs / rep.cpuSteps : undefined,
      kernelFallbacks: rep?.kernelFallbacks ?? [],
    };
  });
}

export interface ServerResult {
  totals: RunTotals;
  /** Per worker: step, compute and encode times, tensors and peak memory (for the step-time breakdown). */
  members: MemberTiming[];
  report: EvaluationReport;
  version: number;
  weightsChecksum: string;
  workersSeen: number;
  runId: string;
  /** Saving the model or the run files failed (e.g. a full disk): the result still stands, and is reported first. */
  saveError?: Error;
  /** Parameter servers that held the weights: 1, or the number of shards. */
  servers: number;
  /** Sharded: bytes each shard received and sent (and of those gradient slices in, weight slices out), in key-range order. */
  shardTraffic?: { bytesIn: number; bytesOut: number; gradientBytes: number; weightBytes: number }[];
}

export interface RunningServer extends AsyncDisposable {
  readonly port: number;
  readonly url: string;
  readonly runId: string;
  readonly coordinator: Coordinator;
  readonly store: ParameterStore;
  /** Resolves when training finished and the model is saved. */
  readonly done: Promise<ServerResult>;
  stop(reason?: string): Promise<void>;
  /** Checkpoint (if configured) and close without ending the run: workers wait for a resumed server. */
  suspend(reason?: string): Promise<void>;
}

/**
 * Starts the parameter server: builds the initial weights, listens, and drives the coordinator
 * until the run ends. The server only needs TF.js to evaluate and to save the model.
 */
export async function startParameterServer(options: ServerOptions, deps: ServerDeps): Promise<RunningServer> {
  const clock = deps.clock ?? systemClock();
  const log = deps.log ?? silentLogger;
  const run = options.run;
  const cfg = deps.initialModel?.config ?? modelConfig(run.model, deps.data.train.numClasses);
  const model = deps.initialModel?.model ?? buildModel(cfg, { seed: run.seed });
  const manifest = weightManifest(model);
  const mask = frozenMask(manifest, options.frozen);
  const pushLayout = TrainableLayout.of(manifest, options.frozen);
  const store = new ParameterStore(getFlatWeights(model), { kind: 'adam', learningRate: run.learningRate }, mask);
  const runId = deps.checkpoint?.restored?.runId ?? randomUUID();
  // The checkpoint's state when resuming: the shards are opened at its version, with its optimizer state.
  // (The coordinator checks the checkpoint belongs to this run; one of another size is left to that check.)
  const restored = deps.checkpoint?.restored;
  if (restored && options.shards.length > 0 && restored.store.weights.length === store.size) store.restore(restored.store);
  let shards: ShardPlane | undefined;
  if (options.shards.length > 0) {
    shards = await ShardPlane.connect(
      {
        urls: options.shards,
        token: options.token,
        maxFrameBytes: options.maxFrameBytes,
        connectTimeoutMs: options.shardConnectTimeoutMs,
        // Shards are watched like workers: pinged at the heartbeat period, lost after the heartbeat timeout.
        pingMs: options.heartbeatMs,
        silentTimeoutMs: options.heartbeatTimeoutMs,
        weightsCompression: weightsCodec(options),
        maxGradientAbs: options.maxGradientAbs,
        gradientSpikeFactor: options.gradientSpikeFactor,
      },
      { runId, ranges: keyRanges(manifest.entries.map((e) => e.size), options.shards.length), state: store.snapshot(), learningRate: run.learningRate, mask },
      log,
      clock,
    );
    log.info('parameter shards ready', { shards: shards.count, ranges: shards.routes.map((r) => `${r.start}..${r.end}`).join(' ') });
  }
  const evaluate = async (weights: Float32Array): Promise<EvaluationReport> => {
    setFlatWeights(model, weights);
    calibrateBatchNorm(model, deps.data.train);
    return evaluateModel(model, deps.data.test, run.testLimit);
  };
  const coordinator = new Coordinator({
    options,
    clock,
    log,
    store,
    runId,
    model: cfg,
    manifest: { names: manifest.entries.map((e) => e.name), shapes: manifest.entries.map((e) => e.shape), totalSize: manifest.totalSize },
    ...(pushLayout ? { pushLayout } : {}),
    data: { indices: trainingIndices(deps.data.train, run.trainLimit), labels: deps.data.train.labels, numClasses: deps.data.train.numClasses },
    evaluate,
    ...(deps.events ? { events: deps.events } : {}),
    ...(deps.checkpoint ? { checkpoint: deps.checkpoint.save, restored: deps.checkpoint.restored } : {}),
    ...(shards ? { shards } : {}),
  });
  const health = (req: IncomingMessage, res: ServerResponse): boolean => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return true;
    }
    if (path === '/readyz') {
      const ready = coordinator.state !== 'finished';
      // Version and checksum let an operator (and the hostile-input test) see that refused frames changed nothing.
      // Sharded, the weights here are a replica gathered at evaluations: no checksum of the current version.
      const body = { state: coordinator.state, version: coordinator.version, ...(shards ? { shards: shards.count } : { checksum: store.checksum() }), epoch: coordinator.currentEpoch, workers: coordinator.activeCount };
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body) + '\n');
      return true;
    }
    return deps.http?.(req, res) ?? false;
  };
  const transport: ListeningTransport = await listen(
    { host: options.host, port: options.port, maxFrameBytes: options.maxFrameBytes, limits: options.transportLimits, tls: options.tls, http: health, authenticate: (t: string, address: string) => coordinator.authenticate(t, address) },
    {
      connect: (p) => coordinator.connect(p),
      frame: (p, b) => coordinator.frame(p, b),
      disconnect: (p) => coordinator.disconnect(p),
      transportError: (p, code, message) => coordinator.transportError(p, code, message),
    },
  );
  coordinator.start();
  log.info('parameter server listening', { url: transport.url, port: transport.port, runId, mode: options.mode, workers: options.workers });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await transport.close();
    await shards?.close();
  };
  const done = coordinator.done.then(
    async (totals): Promise<ServerResult> => {
      try {
        // Sharded: the final weights (and what each shard moved) from the shards.
        const lastTraffic = await coordinator.syncWeights();
        const fromRun = coordinator.report;
        const report = fromRun ?? (await evaluate(store.weights));
        // evaluate() has just left the model at these weights with their batch norm statistics;
        // a report from the run may have been made on other weights.
        if (fromRun) {
          setFlatWeights(model, store.weights);
          calibrateBatchNorm(model, deps.data.train);
        }
        let saveError: Error | undefined;
        if (run.outDir) {
          try {
            await saveModel(model, run.outDir, {
              dataset: run.dataset,
              classNames: deps.data.train.classNames,
              epochs: run.epochs,
              seed: run.seed,
              mode: options.mode,
              runId,
              testAccuracy: report.accuracy,
              ...deps.saveMeta,
            });
            // The applied-push log: one line per gradient applied, so anyone can check none was applied twice.
            await mkdir(run.outDir, { recursive: true });
            await writeFile(join(run.outDir, 'applied-pushes.jsonl'), totals.appliedLog.map((a) => JSON.stringify(a)).join('\n') + '\n');
            // Per-worker step times, drops and rejections: who straggled, who was lost, who did the work.
            await writeFile(join(run.outDir, 'workers.json'), JSON.stringify({ workers: workerSummaries(coordinator), coverage: totals.coverage }, null, 2) + '\n');
            log.info('model saved', { dir: run.outDir });
          } catch (err) {
            saveError = err as Error;
            log.error('the run finished but its model could not be saved', { dir: run.outDir, error: saveError.message });
          }
        }
        return {
          totals,
          members: memberTimings(coordinator),
          report,
          version: store.version,
          weightsChecksum: store.checksum(),
          workersSeen: coordinator.members.size,
          runId,
          servers: shards?.count ?? 1,
          ...(lastTraffic ? { shardTraffic: lastTraffic } : {}),
          ...(saveError ? { saveError } : {}),
        };
      } finally {
        await close();
        if (!deps.initialModel) model.dispose();
      }
    },
    async (err) => {
      await close();
      throw err;
    },
  );
  return {
    port: transport.port,
    url: transport.url,
    runId,
    coordinator,
    store,
    done,
    async stop(reason = 'stopped') {
      coordinator.stop(reason);
      await close();
    },
    async suspend(reason = 'suspended') {
      await coordinator.suspend(reason);
      await close();
    },
    async [Symbol.asyncDispose]() {
      coordinator.stop('disposed');
      await close();
    },
  };
}
