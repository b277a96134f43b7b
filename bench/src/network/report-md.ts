/**
 * bench/results/network.md from the run's report: the measured table, the model against it, the
 * extrapolation, and the notes that say what the numbers are and are not.
 */
import type { ComputeCalibration } from './calibrate-compute';
import type { LinkProbe } from './link-probe';
import type { CpuFits, Extrapolation, Prediction } from './model-check';
import type { PointResult } from './point-metrics';
import type { ShardSupport } from './shard-support';

export interface NetworkReport {
  when: string;
  node: string;
  cpus: number;
  cpu_model: string;
  duration_s: number;
  ideal_definition: string;
  compute: Record<string, ComputeCalibration>;
  link_probes: LinkProbe[];
  shard_support: ShardSupport;
  worker_procs: number;
  points: (PointResult & { impl?: string; loadavg?: number[]; when?: string })[];
  failures: { point: unknown; error: string }[];
  model: { server_cpu_fits: Record<string, CpuFits>; predictions: Prediction[]; extrapolation: Extrapolation[] };
  /** Hand-written findings (kept across --rerender), rendered as their own section. */
  notes?: string[];
  /** `--partition` results (partition.ts), as recorded. */
  partition?: { when: string; loadavg_at_end: number[]; results: Record<string, unknown>[] };
}

const kb = (b: number): string => (b >= 1e6 ? `${(b / 1e6).toFixed(2)} MB` : `${(b / 1e3).toFixed(1)} kB`);
const pct = (x: number | null): string => (x === null ? '–' : `${Math.round(x * 100)} %`);
const num = (x: number): string => Math.round(x).toLocaleString('en-US');

export function renderMarkdown(r: NetworkReport): string {
  const rows = r.points.map((p) => {
    const pred = r.model.predictions.find((q) => q.model === p.model && q.workers === p.workers && q.servers === p.servers && q.link_mbit === p.link_mbit && q.compression === p.compression);
    const wp = p.cpu.worker_procs.map((w) => pct(w.util)).join(' / ');
    const shards = p.cpu.shard_ms_per_step?.length ? p.cpu.shard_ms_per_step.map((ms, k) => `${ms} (${pct(p.cpu.shard_util[k] ?? 0)})`).join(' / ') : '–';
    const load = p.loadavg ? p.loadavg[0]?.toFixed(1) : '–';
    return `| ${p.model} | ${p.link_mbit >= 1000 ? `${p.link_mbit / 1000}G` : `${p.link_mbit}M`} | ${p.compression} | ${p.servers} | ${p.workers} | ${p.impl ?? ''} | ${num(p.samples_per_s)} | **${pct(p.scaling_efficiency)}** | ${pct(p.compute_efficiency)} | ${p.step_ms} | ${kb(p.bytes.push_per_worker)} / ${kb(p.bytes.weights_per_worker)} | ${kb(p.bytes.server_link_in_per_step)} / ${kb(p.bytes.server_link_out_per_step)} | ${pct(p.server_link_utilization.in)} / ${pct(p.server_link_utilization.out)} | ${p.cpu.server_ms_per_step} (${pct(p.cpu.server_util)}) | ${shards} | ${wp} | ${pct(p.cpu.machine_util)} | ${load} | ${p.limit}${p.cpu_bound.length ? ' ⚠' : ''} | ${pred ? `${num(pred.predicted_samples_per_s)} (${pred.relative_error > 0 ? '+' : ''}${Math.round(pred.relative_error * 100)} %)` : '–'} |`;
  });
  const flagged = r.points.filter((p) => p.cpu_bound.length > 0);
  const preds = r.model.predictions;
  const clean = preds.filter((p) => !p.cpu_bound);
  const within = (xs: Prediction[]): string => `${xs.filter((p) => Math.abs(p.relative_error) <= 0.15).length} of ${xs.length}`;
  const maxErr = (xs: Prediction[]): string => (xs.length ? `${Math.round(Math.max(...xs.map((p) => Math.abs(p.relative_error))) * 100)} %` : '–');
  const ex = r.model.extrapolation;
  const exRows = [...new Set(ex.map((e) => `${e.model}|${e.compression}|${e.link_mbit}`))].map((key) => {
    const [model, compression, link] = key.split('|');
    const cells = ex.filter((e) => `${e.model}|${e.compression}|${e.link_mbit}` === key).map((e) => `${num(e.samples_per_s)} (${pct(e.efficiency)}, ${e.limit})`);
    return `| ${model} | ${Number(link) / 1000}G | ${compression} | ${cells.join(' | ')} |`;
  });
  const exHead = [...new Set(ex.map((e) => `K=${e.servers} N=${e.workers}`))];
  return [
    `# Network benchmark, ${r.when}`,
    '',
    `${r.cpus} × ${r.cpu_model}, Node ${r.node}; ${r.duration_s} s. \`npm run bench:network\` (bench/src/network). BSP, batch 64 per worker, full MNIST (\`--dataset mnist\`), Adam.`,
    '',
    '## Set-up',
    '',
    '- **Hosts**: Linux network namespaces on one machine. The parameter server has its own namespace and one veth to a bridge (itself in a namespace of its own); all N synthetic workers share one namespace but each has **its own veth, address and link**: its socket binds its own address and a source-address rule routes it out of its own veth. Every link is shaped with `tbf` on both ends (egress of each side) to the stated rate; `netem` is not in this kernel, so links add no delay (RTT ≈ 0.05 ms). No route leaves the private 10.77.0.0/24.',
    `- **Links**: ${r.link_probes.map((l) => `${l.link_mbit} Mbit/s carries ${l.goodput_mbit} Mbit/s of one TCP stream (${l.goodput} of the rate)`).join('; ')}.`,
    `- **Compute**: replaced by a wait. ${Object.values(r.compute)
      .map((c) => `${c.model}: **${c.step_ms} ms** per batch-64 step (gradients ${c.gradients_ms} ms + weight write-back), ${c.method}; a real worker's push encode: ${Object.entries(c.encode_ms).map(([k, v]) => `${k} ${v} ms`).join(', ')}`)
      .join('. ')}.`,
    `- **Workers**: \`real\` = the real worker code path (\`startWorker\`: protocol, sockets, error-feedback compression, weights loaded into a TF.js model) with only \`WorkerDeps.gradients\` replaced: it waits the compute time, counted from the work frame's arrival, and returns one of 4 real gradients of the model (computed once per process on real MNIST batches, cycled). \`light\` (light-worker.ts) = the same real frames (real gradients compressed once by the real error-feedback codec; with K shards cut at the shards' ranges and compressed per slice) over the same real protocol from a minimal client: with shards it attaches to every shard on its own bound address, tracks each slice's version from the weights frames and, in BSP, waits until every slice is at the work's baseVersion, then sends each shard its slice and the coordinator the header without \`grad\`. It skips the compression CPU per step (it waits the measured encode time instead), loading weights into a model (frames are decoded for their versions only) and reconnecting; used where N real workers would need more CPU than the machine has (chosen per point). Workers are split over ${r.worker_procs} processes.`,
    `- **Ideal**: ${r.ideal_definition}.`,
    `- **Shards**: ${r.shard_support.available ? 'K > 1 = one \`dtrain shard --host IP --port 7071\` per shard, each in a namespace of its own (own veth, same shaped rate); the coordinator \`dtrain server --shards ws://…\` in the server namespace. "Server" CPU for K > 1 is the coordinator\'s (its --json); each shard\'s CPU is /proc from its slice opening to the run\'s end, over the steps' : `not measured: this checkout lacks ${r.shard_support.missing.join(' and ')}`}.`,
    '- **Load**: the machine is shared with other benchmarks; every point records the 1-minute load average at its end, and a point that ended above the core count is flagged CPU-bound (oversubscribed).',
    '',
    '## Measured',
    '',
    'Bytes: push / weights per worker per step (steady: the first full-weights frame left out); server link in / out per step; utilisation = payload over what the line rate carries in the step. CPU: server ms per step (share of one core); worker processes\' share of one core each; machine = all processes over all cores. ⚠ = CPU-bound (see below). Model = the analytic model\'s prediction (relative error).',
    '',
    '| model | link | compression | K | N | workers | samples/s | **vs N × (N=1)** | vs compute ideal | step ms | push / weights | per-server in / out | per-server link util in / out | server (K>1: coordinator) CPU ms/step | shard CPU ms/step | worker procs CPU | machine CPU | load 1 min | limit | model |',
    '| --- | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- | --- | --- | --- | --- | --- | ---: | ---: | --- | --- |',
    ...rows,
    '',
    flagged.length
      ? `**CPU-bound points** (a measurement of this 2-core machine, not of the network): ${flagged.map((p) => `${p.model} ${p.compression} K=${p.servers} N=${p.workers} ${p.link_mbit} Mbit/s: ${p.cpu_bound.join('; ')}`).join('. ')}.`
      : 'No point was flagged CPU-bound (server/coordinator and each shard < 85 % of a core, each worker process < 85 %, machine < 85 %, < 10 % of compute waits started late, 1-minute load average ≤ the core count).',
    ...(r.failures.length ? ['', `**Failed points**: ${r.failures.map((f) => `${JSON.stringify(f.point)}: ${f.error}`).join('; ')}`] : []),
    '',
    '## The analytic model against the measurements',
    '',
    '`bench/src/network/analytic-model.ts`: per step, the N weights frames share the server\'s link (all in after N·W/G), every worker computes (+ encodes), the N pushes share the inbound link (all in after N·P/G), the server\'s per-byte CPU overlapping that inbound transfer, then its fixed CPU: T = N·W/G + c + e + max(N·P/G, cpu per byte) + cpu fixed. A first version queued frames first-in first-out with the uplink overlapping the downlink (+33 to +79 % at large N uncompressed); a purely serial sum under-predicted by 25–31 %. Inputs: the link rate × the measured goodput, the measured bytes per frame, the measured compute and encode time, and the server CPU line fit per model × codec (fixed ms + ns per byte) from the other points of the same group (leave-one-out).',
    '',
    `CPU fits (all points of each group): ${Object.entries(r.model.server_cpu_fits)
      .map(([g, f]) => `${g}: one server ${f.server.fixedMs.toFixed(2)} ms + ${f.server.nsPerByte.toFixed(2)} ns/byte${f.shard ? `; each shard ${f.shard.fixedMs.toFixed(2)} ms + ${f.shard.nsPerByte.toFixed(2)} ns/byte of its 1/K; coordinator ${f.coordinator!.fixedMs.toFixed(2)} ms + ${f.coordinator!.perWorkerMs.toFixed(3)} ms/worker` : ''}`)
      .join('; ')}.`,
    '',
    'Prediction error per point (predicted − measured samples/s, over measured; ⚠ = measured point flagged CPU-bound):',
    '',
    '| model | link | compression | K | N | measured | predicted | error | predicted step ms | measured step ms | predicted limit |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...preds.map((q) => `| ${q.model} | ${q.link_mbit / 1000}G | ${q.compression} | ${q.servers} | ${q.workers} | ${num(q.measured_samples_per_s)} | ${num(q.predicted_samples_per_s)} | ${q.relative_error > 0 ? '+' : ''}${Math.round(q.relative_error * 100)} %${q.cpu_bound ? ' ⚠' : ''} | ${q.predicted_step_ms} | ${q.measured_step_ms} | ${q.predicted_limit} |`),
    '',
    '',
    `Within 15 %: ${within(preds)} points (worst ${maxErr(preds)}); of the points not flagged CPU-bound, ${within(clean)} (worst ${maxErr(clean)}); K > 1 only: ${within(preds.filter((q) => q.servers > 1))} (worst ${maxErr(preds.filter((q) => q.servers > 1))}).`,
    '',
    '## Extrapolation (model only, not measured)',
    '',
    'samples/s (efficiency against the compute ideal, what limits), K servers each holding 1/K of the parameters; K > 1 uses the shard and coordinator CPU lines fit from the measured K > 1 points (each shard and the coordinator on a core of its own):',
    '',
    `| model | link | compression | ${exHead.join(' | ')} |`,
    `| --- | --- | --- | ${exHead.map(() => '---').join(' | ')} |`,
    ...exRows,
    '',
    'What each shard (server) would need, 1 Gbit/s rows: its bytes in / out per step, the line rate at which that traffic takes 10 % of the compute time, its CPU ms per step (share of one core at the predicted step), and the coordinator\'s CPU ms per step:',
    '',
    '| model | compression | K | N | per-shard in / out per step | link for 10 % of compute | shard CPU ms/step | coordinator ms/step |',
    '| --- | --- | ---: | ---: | --- | ---: | --- | ---: |',
    ...ex
      .filter((e) => e.link_mbit === 1000 && e.per_server)
      .map((e) => `| ${e.model} | ${e.compression} | ${e.servers} | ${e.workers} | ${kb(e.per_server.bytes_in_per_step)} / ${kb(e.per_server.bytes_out_per_step)} | ${(e.per_server.link_mbit_for_10pct_of_compute / 1000).toFixed(1)} Gbit/s | ${e.per_server.cpu_ms_per_step} (${pct(e.per_server.cpu_util)}) | ${e.coordinator_ms_per_step} |`),
    '',
    ...(r.notes?.length ? ['## Findings', '', ...r.notes, ''] : []),
    ...(r.partition
      ? [
          '## Partitions (`npm run bench:network -- --partition`, test/cluster/network-partition.spec.ts)',
          '',
          `${r.partition.when}, load average at the end ${r.partition.loadavg_at_end.join(' / ')}. Real server (\`--out\`: applied-pushes.jsonl audited by the test: every sample of every epoch once, no (worker, step) twice), 3 real workers (\`startWorker\`, compute replaced by a 40 ms wait, bound sockets), BSP, int4/int2, 3 epochs × 9,600 samples, 1 Gbit/s links; the link is cut at the bridge (\`ip -n dtn-br link set DEV down\`) after every worker pushed 10 times and brought back 5 s later.`,
          '',
          '| scenario | cut | heartbeat / timeout ms | cut at → back (ms into the run) | cut worker pushes before / after, connections | others\' pushes during the cut | longest stall ms | server exit | steps | samples/s |',
          '| --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |',
          ...r.partition.results.map(
            (x) =>
              `| ${String(x['scenario'])} | ${String(x['cut'])} | ${x['heartbeat_ms'] === null ? 'default (2000 / 10000)' : `${String(x['heartbeat_ms'])} / ${String(x['heartbeat_timeout_ms'])}`} | ${String(x['cut_at_ms'])} → ${String(x['restored_at_ms'])} | ${x['cut_worker'] === null ? '–' : `${String(x['cut_worker_pushes_before'])} / ${String(x['cut_worker_pushes_after'])}, ${String(x['cut_worker_connections'])}`} | ${String(x['others_pushes_during_cut'])} | ${String(x['longest_stall_ms'])} | ${String(x['server_exit'])} | ${String(x['steps'])} | ${String(x['samples_per_s'])} |`,
          ),
          '',
        ]
      : []),
  ].join('\n');
}
