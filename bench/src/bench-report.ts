import type { PeerResult } from './torch-peer';

export type ChildResult = Record<string, unknown> | { error: string };

export interface ClusterRun {
  workers: number;
  /** The run with the median samples/s (or the first failure): its breakdown and memory are reported. */
  result: ChildResult;
  /** samples/s of every round, in the order run (rounds interleave the worker counts). */
  rounds: number[];
}

export interface BenchReport {
  benchmark: string;
  when: string;
  node: string;
  cpus: number;
  cpu_model: string;
  loadavg: { start: number[]; end: number[] };
  duration_s: number;
  dataset: string;
  train_limit: number;
  /** Epochs of each cluster run (evaluations between them are outside its samples/s). */
  epochs: number;
  /** Cluster runs per worker count; the table shows each entry's median run. */
  rounds: number;
  batch_per_worker: number;
  single_process: ChildResult;
  clusters: ClusterRun[];
  /** Per round: one single-process trainer alone and two independent ones at once (samples/s). */
  machine_ceiling: PairRound[];
  /** The same two trainers held in lockstep by a per-step barrier: what BSP can reach here at best. */
  lockstep_ceiling?: PairRound[];
  /** `two` (1 process × 2 threads) is absent from runs recorded before it was measured. */
  pytorch: { before: { one: PeerResult; two?: PeerResult; ddp2: PeerResult }; after: { one: PeerResult; two?: PeerResult; ddp2: PeerResult } };
  load_test: ChildResult;
}

/** Mean samples/s of the runs that worked, or undefined. */
export function peerMean(runs: PeerResult[]): number | undefined {
  const ok = runs.flatMap((r) => (r.available ? [r.samples_per_s] : []));
  return ok.length > 0 ? ok.reduce((a, b) => a + b, 0) / ok.length : undefined;
}

const num = (r: ChildResult | undefined, key: string): number | undefined => {
  if (!r || 'error' in r) return undefined;
  const v = r[key];
  return typeof v === 'number' ? v : undefined;
};
/**
 * One cluster entry from its rounds: the median run by samples/s. One short run on a shared 2-core
 * machine varies by ±10 % (two 2-worker runs back to back measured 1,392 and 1,707 samples/s), so a
 * single run cannot carry a ratio; any failed round fails the entry, so a failure is never hidden.
 */
export function medianRun(workers: number, runs: ChildResult[]): ClusterRun {
  const failed = runs.find((r) => 'error' in r);
  const ok = runs.flatMap((r) => (typeof num(r, 'samples_per_s') === 'number' ? [r] : []));
  const rounds = ok.map((r) => num(r, 'samples_per_s') as number);
  if (failed || ok.length === 0) return { workers, result: failed ?? { error: 'no rounds ran' }, rounds };
  const sorted = [...ok].sort((a, b) => (num(a, 'samples_per_s') as number) - (num(b, 'samples_per_s') as number));
  return { workers, result: sorted[Math.floor((sorted.length - 1) / 2)] as ChildResult, rounds };
}

const fmt = (x: number | undefined, d = 0): string => (x === undefined ? '–' : x.toFixed(d));
const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined ? '–' : (a / b).toFixed(2));
const mb = (x: unknown): string => (typeof x === 'number' ? `${Math.round(x / 2 ** 20)} MB` : '–');
const verdict = (ok: boolean | undefined): string => (ok === undefined ? 'not measured' : ok ? '**met**' : '**not met**');

export interface Targets {
  singleVsPeer1: boolean | undefined;
  cluster1VsPeer1: boolean | undefined;
  cluster2VsDdp2: boolean | undefined;
  scaling12: number | undefined;
  leakFree: boolean | undefined;
}

export function targets(r: BenchReport): Targets {
  const p1 = peerMean([r.pytorch.before.one, r.pytorch.after.one]);
  const p2 = peerMean([r.pytorch.before.ddp2, r.pytorch.after.ddp2]);
  const single = num(r.single_process, 'samples_per_s');
  const c = (n: number): number | undefined => num(r.clusters.find((x) => x.workers === n)?.result, 'samples_per_s');
  const c1 = c(1);
  const c2 = c(2);
  const sp = r.single_process;
  return {
    singleVsPeer1: single !== undefined && p1 !== undefined ? single >= p1 : undefined,
    cluster1VsPeer1: c1 !== undefined && p1 !== undefined ? c1 >= p1 : undefined,
    cluster2VsDdp2: c2 !== undefined && p2 !== undefined ? c2 >= p2 : undefined,
    scaling12: c1 !== undefined && c2 !== undefined ? c2 / (2 * c1) : undefined,
    leakFree: 'error' in sp ? undefined : sp['tensors_flat'] === true && sp['rss_flat'] === true,
  };
}

/** CPU ms per steady step of the server and of each worker, and their sum when every one is known. */
export function cpuPerStep(r: ChildResult): { server: number | undefined; workers: (number | undefined)[]; total: number | undefined } {
  if ('error' in r) return { server: undefined, workers: [], total: undefined };
  const server = num(r, 'server_cpu_ms_per_step');
  const stats = (r['worker_stats'] as { cpu_ms_per_step?: number | null }[] | undefined) ?? [];
  const workers = stats.map((w) => (typeof w.cpu_ms_per_step === 'number' ? w.cpu_ms_per_step : undefined));
  const known = server !== undefined && workers.length > 0 && workers.every((x) => x !== undefined);
  return { server, workers, total: known ? workers.reduce((a: number, x) => a + (x as number), server) : undefined };
}

export interface PairRound {
  alone: number | undefined;
  pair: (number | undefined)[];
  /** (sum of the pair) / (2 · alone): the scaling the cores allow with nothing shared. */
  scaling: number | undefined;
}

export function pairRound(alone: ChildResult, pair: ChildResult[]): PairRound {
  const a = num(alone, 'samples_per_s');
  const p = pair.map((x) => num(x, 'samples_per_s'));
  const known = a !== undefined && p.length === 2 && p.every((x) => x !== undefined);
  return { alone: a, pair: p, scaling: known ? p.reduce((s: number, x) => s + (x as number), 0) / (2 * a) : undefined };
}

/** "A alone, B + C <how> (S %)" per round. */
function pairRounds(rounds: PairRound[], how: string): string {
  return rounds.map((m) => `${m.alone ?? '?'} alone, ${m.pair.map((x) => x ?? '?').join(' + ')} ${how} (${m.scaling === undefined ? '–' : `${(m.scaling * 100).toFixed(0)} %`})`).join('; ');
}

/** Median of the known values, or undefined. */
export function median(xs: (number | undefined)[]): number | undefined {
  const s = xs.filter((x): x is number => x !== undefined).sort((x, y) => x - y);
  if (s.length === 0) return undefined;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** ×2 / (2 · ×1) of each round, pairing the runs made back to back (rounds with both counts only). */
export function roundScaling(r: BenchReport): number[] {
  const one = r.clusters.find((x) => x.workers === 1)?.rounds ?? [];
  const two = r.clusters.find((x) => x.workers === 2)?.rounds ?? [];
  return one.length === two.length ? one.map((x, i) => (two[i] as number) / (2 * x)) : [];
}

/** The markdown summary of one bench run (bench/results/latest.md). */
export function renderMarkdown(r: BenchReport): string {
  const p1 = peerMean([r.pytorch.before.one, r.pytorch.after.one]);
  const p2 = peerMean([r.pytorch.before.ddp2, r.pytorch.after.ddp2]);
  const c1 = num(r.clusters.find((x) => x.workers === 1)?.result, 'samples_per_s');
  const peerCell = (a: PeerResult, b: PeerResult): string => [a, b].map((p) => (p.available ? fmt(p.samples_per_s) : 'n/a')).join(' / ');
  const lines: string[] = [];
  lines.push(`# dtrain bench, ${r.when}`, '');
  lines.push(
    `${r.cpus} cpus (${r.cpu_model}), Node ${r.node}; load average ${r.loadavg.start.map((x) => x.toFixed(2)).join(' ')} at start, ` +
      `${r.loadavg.end.map((x) => x.toFixed(2)).join(' ')} at end; ${r.duration_s} s. Data: ${r.dataset}, first ${r.train_limit} training samples × ${r.epochs} epoch${r.epochs === 1 ? '' : 's'} per cluster run, ` +
      `batch ${r.batch_per_worker} per worker / process, Adam lr 1e-3. Cluster samples/s is the server's (warm-up update and evaluations excluded), ` +
      `the median of ${r.rounds} round${r.rounds === 1 ? '' : 's'} that interleave the worker counts (every round in brackets); ` +
      `PyTorch is the mean of a run before and one after ours (shown as before / after).`,
    '',
  );
  const withBlas = [r.pytorch.before.one, r.pytorch.after.one, r.pytorch.before.ddp2].find((x) => x.available && x.blas !== undefined);
  if (withBlas && withBlas.available && withBlas.blas) lines.push(`PyTorch peer BLAS: \`${withBlas.blas.library}\` (build info ${withBlas.blas.buildInfo}); a peer on the reference BLAS is refused.`, '');
  else lines.push('PyTorch peer BLAS: not recorded (runs before 2026-12-07 measured the peer on the reference BLAS, ~1.5× slower than OpenBLAS).', '');
  lines.push('| run | samples/s | vs PyTorch 1×1 | vs PyTorch DDP 2×1 | scaling vs 1 worker | bytes/step | test accuracy |');
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  lines.push(`| PyTorch 1 process × 1 thread | ${fmt(p1)} (${peerCell(r.pytorch.before.one, r.pytorch.after.one)}) | 1.00 | ${ratio(p1, p2)} | | | |`);
  const before2 = r.pytorch.before.two;
  const after2 = r.pytorch.after.two;
  if (before2 && after2) {
    const p12 = peerMean([before2, after2]);
    lines.push(`| PyTorch 1 process × 2 threads | ${fmt(p12)} (${peerCell(before2, after2)}) | ${ratio(p12, p1)} | ${ratio(p12, p2)} | | | |`);
  }
  lines.push(`| PyTorch DDP 2 × 1 thread | ${fmt(p2)} (${peerCell(r.pytorch.before.ddp2, r.pytorch.after.ddp2)}) | ${ratio(p2, p1)} | 1.00 | ${p1 && p2 ? `${((p2 / (2 * p1)) * 100).toFixed(0)} % (vs 1×1)` : '–'} | | |`);
  const single = num(r.single_process, 'samples_per_s');
  lines.push(`| dtrain single process (${'error' in r.single_process ? '?' : String(r.single_process['backend'])}) | ${fmt(single)} | ${ratio(single, p1)} | ${ratio(single, p2)} | | 0 | |`);
  for (const c of r.clusters) {
    const sps = num(c.result, 'samples_per_s');
    const eff = c1 !== undefined && sps !== undefined ? `${((sps / (c.workers * c1)) * 100).toFixed(0)} %` : '–';
    const spread = c.rounds.length > 1 ? ` (${c.rounds.map((x) => fmt(x)).join(' / ')})` : '';
    lines.push(`| dtrain cluster, ${c.workers} worker${c.workers > 1 ? 's' : ''} | ${fmt(sps)}${spread} | ${ratio(sps, p1)} | ${ratio(sps, p2)} | ${c.workers === 1 ? '100 %' : eff} | ${fmt(num(c.result, 'bytes_per_step'))} | ${fmt(num(c.result, 'test_accuracy'), 4)} |`);
  }
  lines.push(
    '',
    '## Step-time breakdown (ms per step, steady state)',
    '',
    'Compute and encode are means over the workers; the rest column is what is left of the wall time: frames in flight, the worker loading new weights, event-loop and scheduling delays, and in BSP the wait for the slowest worker. Compute growing with the worker count (each worker on its own core would keep it flat) means the workers did not get a core each. ' +
      'CPU columns are each process\'s CPU time per steady step (all its threads, GC included); cores busy = their sum / (cpus × wall): near 100 % the step is bounded by the machine\'s cores, not by waiting.',
    '',
  );
  lines.push('| run | wall | compute | encode | server decode | aggregate | apply (Adam) | weights encode | network, barrier wait, rest | compute share of wall | CPU server | CPU per worker | cores busy |');
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const c of r.clusters) {
    const b = 'error' in c.result ? undefined : (c.result['step_breakdown_ms'] as Record<string, number> | null | undefined);
    const cell = (k: string): string => (b ? fmt(b[k], 2) : '–');
    const share = b && b['wall'] ? `${(((b['compute'] ?? 0) / (b['wall'] as number)) * 100).toFixed(0)} %` : '–';
    const cpu = cpuPerStep(c.result);
    const busy = b?.['wall'] && cpu.total !== undefined ? `${((cpu.total / (r.cpus * b['wall'])) * 100).toFixed(0)} %` : '–';
    lines.push(
      `| cluster ×${c.workers} | ${cell('wall')} | ${cell('compute')} | ${cell('encode')} | ${cell('decode')} | ${cell('aggregate')} | ${cell('apply')} | ${cell('weights_encode')} | ${cell('network')} | ${share} | ` +
        `${fmt(cpu.server, 1)} | ${cpu.workers.length > 0 ? cpu.workers.map((x) => fmt(x, 1)).join(', ') : '–'} | ${busy} |`,
    );
  }
  lines.push('', '## Memory and tensors (end of run)', '');
  lines.push('| run | server peak RSS | server tensors | worker peak RSS | worker tensors |');
  lines.push('| --- | ---: | ---: | ---: | ---: |');
  for (const c of r.clusters) {
    if ('error' in c.result) continue;
    const ws = (c.result['worker_stats'] as { peak_rss_bytes: number | null; tensors: number | null }[] | undefined) ?? [];
    lines.push(`| cluster ×${c.workers} | ${mb(c.result['server_peak_rss_bytes'])} | ${String(c.result['server_tensors'] ?? '–')} | ${ws.map((w) => mb(w.peak_rss_bytes)).join(', ')} | ${ws.map((w) => String(w.tensors ?? '–')).join(', ')} |`);
  }
  const sp = r.single_process;
  if (!('error' in sp)) {
    const mem = (sp['memory'] as { step: number; tensors: number; rss_bytes: number }[] | undefined) ?? [];
    lines.push('', `## Leak check (single process, ${String(sp['steps'])} training steps)`, '');
    lines.push(`| step | ${mem.map((m) => m.step).join(' | ')} |`);
    lines.push(`| --- | ${mem.map(() => '---:').join(' | ')} |`);
    lines.push(`| tensors | ${mem.map((m) => m.tensors).join(' | ')} |`);
    lines.push(`| RSS (MB) | ${mem.map((m) => Math.round(m.rss_bytes / 2 ** 20)).join(' | ')} |`);
    lines.push('', `Tensor count flat: ${sp['tensors_flat'] ? 'yes' : 'NO'}; RSS change from step ${mem[1]?.step ?? 0} to the end: ${mb(sp['rss_growth_bytes'])} (flat if ≤ ${mb(sp['rss_slack_bytes'])}: ${sp['rss_flat'] ? 'yes' : 'NO'})${sp['gc_before_samples'] ? '; each sample follows a full garbage collection' : ''}.`);
  }
  const lt = r.load_test;
  if (!('error' in lt)) {
    const runs = (lt['runs'] as Record<string, number | boolean>[] | undefined) ?? [];
    lines.push('', `## Load test (lightweight workers over real ws sockets, ${String(lt['model'])} model, BSP)`, '');
    lines.push('| workers | steps | step p50 (ms) | p95 | max | steps/s | server ms/step | every sample once |');
    lines.push('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const x of runs) lines.push(`| ${x['workers']} | ${x['steps']} | ${x['step_ms_p50']} | ${x['step_ms_p95']} | ${x['step_ms_max']} | ${x['steps_per_s']} | ${x['server_ms_per_step']} | ${x['every_sample_once'] ? 'yes' : 'NO'} |`);
  } else lines.push('', `Load test: ${lt.error}`);
  const t = targets(r);
  lines.push('', '## Targets (this run)', '');
  lines.push(`- One wasm process ≥ PyTorch 1×1: single process ${verdict(t.singleVsPeer1)} (${fmt(single)} vs ${fmt(p1)}); 1-worker cluster ${verdict(t.cluster1VsPeer1)} (${fmt(c1)} vs ${fmt(p1)}).`);
  const c2 = num(r.clusters.find((x) => x.workers === 2)?.result, 'samples_per_s');
  lines.push(`- 2-worker cluster ≥ PyTorch DDP 2×1: ${verdict(t.cluster2VsDdp2)} (${fmt(c2)} vs ${fmt(p2)}).`);
  const perRound = roundScaling(r);
  const ceiling = median(r.machine_ceiling.map((m) => m.scaling));
  if (r.machine_ceiling.length > 0) {
    lines.push(
      `- The machine's own scaling (two independent single-process trainers at once vs one alone, no network or server): ${ceiling === undefined ? '–' : `${(ceiling * 100).toFixed(0)} %`} median; ` +
        `round by round ${pairRounds(r.machine_ceiling, 'together')}.`,
    );
  }
  const inStep = r.lockstep_ceiling ?? [];
  if (inStep.length > 0) {
    const m = median(inStep.map((x) => x.scaling));
    lines.push(
      `- The same two trainers held in lockstep by a per-step barrier, as BSP holds its workers (no network or server; each alone behind the same barrier): ${m === undefined ? '–' : `${(m * 100).toFixed(0)} %`} median; ` +
        `round by round ${pairRounds(inStep, 'in step')}.`,
    );
  }
  lines.push(
    `- Scaling 1 → 2 workers ≥ 90 %: ${verdict(t.scaling12 === undefined ? undefined : t.scaling12 >= 0.9)} (${t.scaling12 === undefined ? '–' : `${(t.scaling12 * 100).toFixed(0)} %`} from the medians` +
      `${perRound.length > 1 ? `; round by round ${perRound.map((x) => `${(x * 100).toFixed(0)} %`).join(', ')}` : ''}).`,
  );
  lines.push(`- No tensor leak, flat RSS over the single-process run: ${verdict(t.leakFree)}.`);
  for (const c of r.clusters) if ('error' in c.result) lines.push(`- cluster ×${c.workers} failed: ${c.result.error}`);
  if ('error' in r.single_process) lines.push(`- single process failed: ${r.single_process.error}`);
  return `${lines.join('\n')}\n`;
}
