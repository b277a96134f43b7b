/**
 * bench/results/network.md from the run's report: the measured table, the model against it, the
 * extrapolation, and the notes that say what the numbers are and are not.
 */
import type { ComputeCalibration } from './calibrate-compute';
import type { LinkProbe } from './link-probe';
import type { Extrapolation, Prediction } from './model-check';
import type { PointResult } from './point-metrics';
import type { ShardSupport } from './shard-support';
import type { ServerCpu } from './analytic-model';

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
  points: (PointResult & { impl?: string })[];
  failures: { point: unknown; error: string }[];
  model: { server_cpu_fits: Record<string, ServerCpu>; predictions: Prediction[]; extrapolation: Extrapolation[] };
}

const kb = (b: number): string => (b >= 1e6 ? `${(b / 1e6).toFixed(2)} MB` : `${(b / 1e3).toFixed(1)} kB`);
const pct = (x: number | null): string => (x === null ? '–' : `${Math.round(x * 100)} %`);
const num = (x: number): string => Math.round(x).toLocaleString('en-US');

export function renderMarkdown(r: NetworkReport): string {
  const rows = r.points.map((p) => {
    const pred = r.model.predictions.find((q) => q.model === p.model && q.workers === p.workers && q.servers === p.servers && q.link_mbit === p.link_mbit && q.compression === p.compression);
    const wp = p.cpu.worker_procs.map((w) => pct(w.util)).join(' / ');
    return `| ${p.model} | ${p.link_mbit >= 1000 ? `${p.link_mbit / 1000}G` : `${p.link_mbit}M`} | ${p.compression} | ${p.servers} | ${p.workers} | ${p.impl ?? ''} | ${num(p.samples_per_s)} | ${num(p.ideal_samples_per_s)} | **${pct(p.scaling_efficiency)}** | ${pct(p.efficiency_vs_n1)} | ${p.step_ms} | ${kb(p.bytes.push_per_worker)} / ${kb(p.bytes.weights_per_worker)} | ${kb(p.bytes.server_link_in_per_step)} / ${kb(p.bytes.server_link_out_per_step)} | ${pct(p.server_link_utilization.in)} / ${pct(p.server_link_utilization.out)} | ${p.cpu.server_ms_per_step} (${pct(p.cpu.server_util)}) | ${wp} | ${pct(p.cpu.machine_util)} | ${p.limit}${p.cpu_bound.length ? ' ⚠' : ''} | ${pred ? `${num(pred.predicted_samples_per_s)} (${pred.relative_error > 0 ? '+' : ''}${Math.round(pred.relative_error * 100)} %)` : '–'} |`;
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
    `- **Workers**: \`real\` = the real worker code path (\`startWorker\`: protocol, sockets, error-feedback compression, weights loaded into a TF.js model) with only \`WorkerDeps.gradients\` replaced: it waits the compute time, counted from the work frame's arrival, and returns one of 4 real gradients of the model (computed once per process on real MNIST batches, cycled). \`light\` = the same real frames (real gradients compressed once by the real error-feedback codec) from a minimal client that does not re-compress or load weights each step and waits compute + encode instead; used where N real workers would need more CPU than the machine has (chosen per point). Workers are split over ${r.worker_procs} processes.`,
    `- **Ideal**: ${r.ideal_definition}.`,
    `- **Shards**: ${r.shard_support.available ? 'available' : `not measured: this checkout lacks ${r.shard_support.missing.join(' and ')}; the harness takes K (\`--shards\`) and K > 1 fails with that message`}.`,
    '',
    '## Measured',
    '',
    'Bytes: push / weights per worker per step (steady: the first full-weights frame left out); server link in / out per step; utilisation = payload over what the line rate carries in the step. CPU: server ms per step (share of one core); worker processes\' share of one core each; machine = all processes over all cores. ⚠ = CPU-bound (see below). Model = the analytic model\'s prediction (relative error).',
    '',
    '| model | link | compression | servers | N | workers | samples/s | ideal | efficiency | vs N×(N=1) | step ms | push / weights | server in / out | server link util in / out | server CPU ms/step | worker procs CPU | machine CPU | limit | model |',
    '| --- | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | --- | --- | ---: | --- | --- |',
    ...rows,
    '',
    flagged.length
      ? `**CPU-bound points** (a measurement of this 2-core machine, not of the network): ${flagged.map((p) => `${p.model} ${p.compression} N=${p.workers} ${p.link_mbit} Mbit/s: ${p.cpu_bound.join('; ')}`).join('. ')}.`
      : 'No point was flagged CPU-bound (server < 85 % of a core, each worker process < 85 %, machine < 85 %, < 10 % of compute waits started late).',
    ...(r.failures.length ? ['', `**Failed points**: ${r.failures.map((f) => `${JSON.stringify(f.point)}: ${f.error}`).join('; ')}`] : []),
    '',
    '## The analytic model against the measurements',
    '',
    '`bench/src/network/analytic-model.ts`: per step, the N weights frames share the server\'s link (all in after N·W/G), every worker computes (+ encodes), the N pushes share the inbound link (all in after N·P/G), the server\'s per-byte CPU overlapping that inbound transfer, then its fixed CPU: T = N·W/G + c + e + max(N·P/G, cpu per byte) + cpu fixed. A first version queued frames first-in first-out with the uplink overlapping the downlink (+33 to +79 % at large N uncompressed); a purely serial sum under-predicted by 25–31 %. Inputs: the link rate × the measured goodput, the measured bytes per frame, the measured compute and encode time, and the server CPU line fit per model × codec (fixed ms + ns per byte) from the other points of the same group (leave-one-out).',
    '',
    `Server CPU fits: ${Object.entries(r.model.server_cpu_fits)
      .map(([g, f]) => `${g}: ${f.fixedMs.toFixed(2)} ms + ${f.nsPerByte.toFixed(2)} ns/byte`)
      .join('; ')}.`,
    '',
    `Within 15 %: ${within(preds)} points (worst ${maxErr(preds)}); of the points not flagged CPU-bound, ${within(clean)} (worst ${maxErr(clean)}).`,
    '',
    '## Extrapolation (model only, not measured)',
    '',
    `samples/s (efficiency, what limits), K servers each holding 1/K of the parameters (assumed to split bytes and server CPU evenly; shards were ${r.shard_support.available ? '' : 'not '}measured):`,
    '',
    `| model | link | compression | ${exHead.join(' | ')} |`,
    `| --- | --- | --- | ${exHead.map(() => '---').join(' | ')} |`,
    ...exRows,
    '',
  ].join('\n');
}
