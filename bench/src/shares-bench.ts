/**
 * Work sized to the worker: a fast and a slow worker under BSP, the global batch split evenly and
 * sized to each worker (`--shares throughput`: a fitted fixed + per-sample step time per worker,
 * solved for equal step times), against the sum of each worker's solo throughput. Real `dtrain
 * server` and `dtrain worker` processes on this machine, mnist-subset, batch 64 per worker (global
 * 64 × N). Workers are slowed with `--slow-factor F` (a device F times slower: after each step's
 * compute it waits (F − 1)× as long, without using the CPU) or `--slow-ms X` (X ms added to every
 * step: a latency). Scenarios:
 * - cpu-bound: the fast worker unslowed, the slow one F = 2.5 — on 2 cores they contend for CPU;
 * - devices: F = 2 and F = 5, so the pair needs ~0.7 of the 2 cores: the ratio measures the sizing;
 * - latency: F = 2 and a worker with `--slow-ms 60`;
 * - the ceiling: two identical unslowed workers against twice one, what this machine's 2 cores allow.
 * For the devices pair, the solos are also run at batch 128 (the pair's global batch), and each
 * sized pair run is broken down per step from the server's applied-push log: each worker's share,
 * its step time (work sent → push in), how long the earlier one waited for the later, and the
 * serial rest of the step (the server's apply and the weights going out) that no split can hide.
 * Every configuration runs `--rounds` times, round by round; the table takes each configuration's
 * fastest run (the machine is shared: `other_cpu` is the CPU that processes other than the run's own
 * used during it, in cores), and the JSON keeps every run.
 * Each run waits (up to 30 s) for the machine to be quiet first, and one that others disturbed anyway
 * (more than `--max-other` cores of foreign CPU) is redone once, both only within `--budget-min`.
 * Run: node --import tsx bench/src/shares-bench.ts [--train-limit 6400] [--epochs 3] [--rounds 2] [--max-other 0.25] [--budget-min 30]
 * (`--report bench/results/shares.json` rebuilds the tables from that file's runs without running.)
 * Writes bench/results/shares.json and bench/results/shares.md.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const dtrain = path.join(repoRoot, 'bin/dtrain.js');
const resultsDir = path.join(repoRoot, 'bench/results');
const TOKEN = 'shares-bench-token-0123456789';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const trainLimit = arg('train-limit', '6400');
const epochs = arg('epochs', '3');
const rounds = Math.max(1, Number(arg('rounds', '2')));
/** Other processes' CPU (cores) above which a run counts as disturbed. */
const MAX_OTHER = Number(arg('max-other', '0.25'));

/** A worker: its name in the table and its slowing flags. */
interface Device {
  label: string;
  flags: string[];
}
const factor = (f: number): Device => ({ label: `--slow-factor ${f}`, flags: f === 1 ? [] : ['--slow-factor', String(f)] });
const latency = (ms: number): Device => ({ label: `--slow-ms ${ms}`, flags: ['--slow-ms', String(ms)] });

interface WorkerTimeline {
  worker: string;
  mean_share: number;
  /** Mean work sent → push in, as the server saw it. */
  mean_step_ms: number;
  /** Mean compute (with the emulated slowdown) the worker reported. */
  mean_compute_ms: number;
  /** Mean time its push waited for the step's last one. */
  mean_wait_ms: number;
}

interface Timeline {
  /** Mean wall time per step (the server's, warm-up step left out). */
  wall_ms: number;
  /** Mean over steps of the slowest push's step time. */
  mean_max_step_ms: number;
  /** max(mean step) over workers: what the step would take if every step were its mean. */
  max_mean_step_ms: number;
  /** wall − mean max step: the server's apply, the weights going out, the next work's dispatch. */
  serial_ms: number;
  workers: WorkerTimeline[];
}

interface RunResult {
  samples_per_s: number;
  /** Cores' worth of CPU used by other processes on the machine during the run. */
  other_cpu: number;
  timeline?: Timeline;
}

/** CPU ms used so far, all cores, from /proc/stat (undefined off Linux). */
function machineBusyMs(): number | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const busy = f[0]! + f[1]! + f[2]! + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
    return (busy * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** A process's CPU ms so far, from /proc (0 once it is gone). */
function processCpuMs(pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/** One BSP run: a server for the given workers; the server's samples/s and, for pairs, the per-step timeline. */
async function run(devices: Device[], shares: 'even' | 'throughput', batch = 64): Promise<RunResult> {
  const out = mkdtempSync(path.join(os.tmpdir(), 'shares-bench-'));
  const server = spawn(process.execPath, [dtrain, 'server', '--host', '127.0.0.1', '--port', '0', '--workers', String(devices.length), '--dataset', 'mnist-subset',
    '--epochs', epochs, '--train-limit', trainLimit, '--test-limit', '200', '--batch-size', String(batch), '--shares', shares, '--out', out, '--json', '--log-level', 'error'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DTRAIN_TOKEN: TOKEN },
  });
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: server.stderr! }).on('line', (l) => {
      const m = /\(port (\d+)\)/.exec(l);
      if (m) resolve(Number(m[1]));
    });
    server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  const busy0 = machineBusyMs();
  const serverCpu0 = processCpuMs(server.pid);
  const t0 = performance.now();
  const children = devices.map((d, i) =>
    spawn(process.execPath, [dtrain, 'worker', '--server', `ws://127.0.0.1:${port}`, '--worker-id', `w${i}`, '--log-level', 'error', ...d.flags], {
      stdio: 'ignore',
      env: { ...process.env, DTRAIN_TOKEN: TOKEN },
    }),
  );
  // Our own processes' CPU, sampled until each exits (a finished process's /proc entry is gone).
  const ownCpu = new Map<number, number>();
  const sample = (): void => {
    for (const p of [server, ...children]) if (p.pid !== undefined) ownCpu.set(p.pid, Math.max(ownCpu.get(p.pid) ?? 0, processCpuMs(p.pid)));
  };
  const sampler = setInterval(sample, 100);
  const lines: string[] = [];
  createInterface({ input: server.stdout! }).on('line', (l) => lines.push(l));
  await new Promise((resolve) => server.once('exit', resolve));
  await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once('exit', resolve)))));
  clearInterval(sampler);
  const wallMs = performance.now() - t0;
  const busy1 = machineBusyMs();
  const own = [...ownCpu.values()].reduce((a, b) => a + b, 0) - serverCpu0;
  const summary = JSON.parse(lines.at(-1) ?? '{}') as Summary;
  if (typeof summary.samples_per_s !== 'number') throw new Error(`no summary: ${lines.at(-1)}`);
  const timeline = devices.length > 1 ? stepTimeline(summary, out) : undefined;
  rmSync(out, { recursive: true, force: true });
  const other = busy0 !== undefined && busy1 !== undefined ? Math.max(0, (busy1 - busy0 - own) / wallMs) : NaN;
  return { samples_per_s: summary.samples_per_s, other_cpu: other, ...(timeline ? { timeline } : {}) };
}

interface Summary {
  samples_per_s?: number;
  step_breakdown_ms?: { wall: number } | null;
  worker_stats?: { worker: string; mean_compute_ms: number }[];
}

/** Per-step breakdown from the server's applied-push log (one line per push; a step's pushes share a baseVersion). */
function stepTimeline(summary: Summary, out: string): Timeline | undefined {
  let log: { workerId: string; baseVersion: number; samples: number; stepMs: number }[];
  try {
    log = readFileSync(path.join(out, 'applied-pushes.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as (typeof log)[number]);
  } catch {
    return undefined;
  }
  const steps = new Map<number, typeof log>();
  for (const p of log) steps.set(p.baseVersion, [...(steps.get(p.baseVersion) ?? []), p]);
  // The first step holds every worker's start-up.
  const full = [...steps.entries()].filter(([v, ps]) => v > 0 && ps.length > 1).map(([, ps]) => ps);
  const mean = (xs: number[]): number => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const ids = [...new Set(log.map((p) => p.workerId))].sort();
  const workers = ids.map((id) => {
    const mine = full.map((ps) => [ps.find((p) => p.workerId === id), Math.max(...ps.map((p) => p.stepMs))] as const).filter(([p]) => p !== undefined);
    return {
      worker: id,
      mean_share: mean(mine.map(([p]) => p!.samples)),
      mean_step_ms: mean(mine.map(([p]) => p!.stepMs)),
      mean_compute_ms: summary.worker_stats?.find((w) => w.worker === id)?.mean_compute_ms ?? NaN,
      mean_wait_ms: mean(mine.map(([p, max]) => max - p!.stepMs)),
    };
  });
  const wall = summary.step_breakdown_ms?.wall ?? NaN;
  const meanMax = mean(full.map((ps) => Math.max(...ps.map((p) => p.stepMs))));
  return { wall_ms: wall, mean_max_step_ms: meanMax, max_mean_step_ms: Math.max(...workers.map((w) => w.mean_step_ms)), serial_ms: wall - meanMax, workers };
}

/** Each configuration `rounds` times, round by round; its fastest run stands for it. */
interface Config {
  key: string;
  devices: Device[];
  shares: 'even' | 'throughput';
  batch?: number;
}

const fast = factor(2);
const slow = factor(5);
const configs: Config[] = [
  { key: 'cpu.fast', devices: [factor(1)], shares: 'even' },
  { key: 'cpu.slow', devices: [factor(2.5)], shares: 'even' },
  { key: 'cpu.even', devices: [factor(1), factor(2.5)], shares: 'even' },
  { key: 'cpu.sized', devices: [factor(1), factor(2.5)], shares: 'throughput' },
  { key: 'dev.fast', devices: [fast], shares: 'even' },
  { key: 'dev.slow', devices: [slow], shares: 'even' },
  { key: 'dev.fast128', devices: [fast], shares: 'even', batch: 128 },
  { key: 'dev.slow128', devices: [slow], shares: 'even', batch: 128 },
  { key: 'dev.even', devices: [fast, slow], shares: 'even' },
  { key: 'dev.sized', devices: [fast, slow], shares: 'throughput' },
  { key: 'lat.slow', devices: [latency(60)], shares: 'even' },
  { key: 'lat.even', devices: [fast, latency(60)], shares: 'even' },
  { key: 'lat.sized', devices: [fast, latency(60)], shares: 'throughput' },
  { key: 'ceil.one', devices: [factor(1)], shares: 'even' },
  { key: 'ceil.two', devices: [factor(1), factor(1)], shares: 'even' },
];
/** Cores' worth of CPU the machine is using now, over `ms`. */
async function busyCores(ms: number): Promise<number> {
  const a = machineBusyMs();
  await new Promise((r) => setTimeout(r, ms));
  const b = machineBusyMs();
  return a === undefined || b === undefined ? 0 : (b - a) / ms;
}

/** Waits (at most `maxWaitMs`) until the rest of the machine is quiet: other sessions share these 2 cores. */
async function waitQuiet(maxWaitMs = 30_000): Promise<void> {
  const until = Date.now() + maxWaitMs;
  while (Date.now() < until && (await busyCores(2000)) > MAX_OTHER) {
    /* someone else is busy */
  }
}

const runs = new Map<string, RunResult[]>(configs.map((c) => [c.key, []]));
/** After this, no more waiting for quiet or redoing disturbed runs. */
const deadline = Date.now() + Number(arg('budget-min', '30')) * 60_000;
// `--report FILE`: no runs, the tables rebuilt from an earlier run's JSON (its `runs`).
const reportFrom = arg('report', '');
const earlier = reportFrom ? (JSON.parse(readFileSync(reportFrom, 'utf8')) as { when: string; rounds: number; runs: Record<string, RunResult[]> }) : undefined;
if (earlier) for (const [k, v] of Object.entries(earlier.runs)) runs.set(k, v);
for (let r = 0; r < (earlier ? 0 : rounds); r++) {
  for (const c of configs) {
    // A run that another process disturbed (more than MAX_OTHER cores) is kept and redone once, while time is left.
    for (let attempt = 0; attempt < 2; attempt++) {
      if (Date.now() < deadline) await waitQuiet();
      const res = await run(c.devices, c.shares, c.batch);
      runs.get(c.key)!.push(res);
      console.error(`round ${r + 1}/${rounds} ${c.key}: ${res.samples_per_s.toFixed(0)} samples/s, other cpu ${res.other_cpu.toFixed(2)}`);
      if (!(res.other_cpu > MAX_OTHER) || Date.now() >= deadline) break;
    }
  }
}
/**
 * A configuration's fastest run: others' load only ever slows a run, and the foreign-CPU figure
 * misses some of it (a solo at 0.16 cores of foreign CPU ran 13 % slower than one at 0.33).
 */
const best = (key: string): RunResult => runs.get(key)!.reduce((a, b) => (b.samples_per_s > a.samples_per_s ? b : a));
const sps = (key: string): number => best(key).samples_per_s;

const sum = (a: string, b: string): number => sps(a) + sps(b);
const result = {
  when: earlier?.when ?? new Date().toISOString(),
  cpus: os.cpus().length,
  node: process.version,
  train_limit: Number(trainLimit),
  epochs: Number(epochs),
  rounds: earlier?.rounds ?? rounds,
  scenarios: {
    cpu_bound: { fast: 'slow-factor 1', slow: 'slow-factor 2.5', fast_solo: sps('cpu.fast'), slow_solo: sps('cpu.slow'), pair_even: sps('cpu.even'), pair_sized: sps('cpu.sized'), even_vs_sum: sps('cpu.even') / sum('cpu.fast', 'cpu.slow'), sized_vs_sum: sps('cpu.sized') / sum('cpu.fast', 'cpu.slow'), sized_timeline: best('cpu.sized').timeline },
    devices: {
      fast: 'slow-factor 2',
      slow: 'slow-factor 5',
      fast_solo: sps('dev.fast'),
      slow_solo: sps('dev.slow'),
      fast_solo_batch128: sps('dev.fast128'),
      slow_solo_batch128: sps('dev.slow128'),
      pair_even: sps('dev.even'),
      pair_sized: sps('dev.sized'),
      even_vs_sum: sps('dev.even') / sum('dev.fast', 'dev.slow'),
      sized_vs_sum: sps('dev.sized') / sum('dev.fast', 'dev.slow'),
      sized_vs_sum_batch128: sps('dev.sized') / sum('dev.fast128', 'dev.slow128'),
      sized_timeline: best('dev.sized').timeline,
      even_timeline: best('dev.even').timeline,
    },
    latency: { fast: 'slow-factor 2', slow: 'slow-ms 60', fast_solo: sps('dev.fast'), slow_solo: sps('lat.slow'), pair_even: sps('lat.even'), pair_sized: sps('lat.sized'), even_vs_sum: sps('lat.even') / sum('dev.fast', 'lat.slow'), sized_vs_sum: sps('lat.sized') / sum('dev.fast', 'lat.slow'), sized_timeline: best('lat.sized').timeline },
  },
  ceiling: { one_worker: sps('ceil.one'), two_identical_workers: sps('ceil.two'), vs_sum: sps('ceil.two') / (2 * sps('ceil.one')) },
  runs: Object.fromEntries(runs),
};
mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, 'shares.json'), JSON.stringify(result, null, 2) + '\n');

const pct = (x: number): string => `${(x * 100).toFixed(0)} %`;
const n0 = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : '–');
const all = (key: string): string => runs.get(key)!.map((r) => `${n0(r.samples_per_s)}${r.other_cpu > 0.1 ? ` (other ${r.other_cpu.toFixed(1)})` : ''}`).join(', ');
const row = (scenario: string, what: string, key: string, vs?: number, bold = false): string => {
  const v = bold ? `**${n0(sps(key))}**` : n0(sps(key));
  const p = vs === undefined ? '' : bold ? `**${pct(vs)}**` : pct(vs);
  return `| ${scenario} | ${what} | ${v} | ${p} | ${all(key)} |`;
};
const s = result.scenarios;
const tl = (name: string, t: Timeline | undefined): string[] =>
  t
    ? [
        `| ${name} | ${n0(t.wall_ms)} | ${n0(t.mean_max_step_ms)} | ${n0(t.max_mean_step_ms)} | ${n0(t.serial_ms)} | ${t.workers.map((w) => `${w.worker}: ${w.mean_share.toFixed(1)} samples, step ${n0(w.mean_step_ms)} (compute ${n0(w.mean_compute_ms)}), waits ${n0(w.mean_wait_ms)}`).join('; ')} |`,
      ]
    : [];
const md = [
  `# Work sized to the worker, ${result.when}`,
  '',
  `${result.cpus} cpus, Node ${result.node}; \`dtrain server --workers N\` + real \`dtrain worker\`s, mnist-subset, first ${trainLimit} samples, ${epochs} epochs, batch 64 per worker (global batch 64 × N), BSP. \`--slow-factor F\` makes a worker a device F times slower (after each step's compute it waits (F − 1)× as long, without using the CPU); \`--slow-ms X\` adds X ms to every step. \`--shares throughput\` fits each worker's step time as fixed + per-sample ms and splits each step so the predicted times are equal. Samples/s is the server's; each configuration ran ${result.rounds}× round by round and the table takes its fastest run (all runs in the last column; "other" = cores' worth of CPU that other processes on the machine used during that run, shown above 0.1; a run with more than ${MAX_OTHER} counts as disturbed and was redone once while the bench's time budget lasted).`,
  '',
  '| scenario | run | samples/s | vs the sum of the solos | all runs |',
  '| --- | --- | ---: | ---: | --- |',
  row('cpu-bound', 'fast (`--slow-factor 1`) alone', 'cpu.fast'),
  row('', 'slow (`--slow-factor 2.5`) alone', 'cpu.slow'),
  row('', 'fast + slow, `--shares even`', 'cpu.even', s.cpu_bound.even_vs_sum),
  row('', 'fast + slow, `--shares throughput`', 'cpu.sized', s.cpu_bound.sized_vs_sum, true),
  row('devices', 'fast (`--slow-factor 2`) alone', 'dev.fast'),
  row('', 'slow (`--slow-factor 5`) alone', 'dev.slow'),
  row('', 'fast + slow, `--shares even`', 'dev.even', s.devices.even_vs_sum),
  row('', 'fast + slow, `--shares throughput`', 'dev.sized', s.devices.sized_vs_sum, true),
  row('', 'fast alone at batch 128 (the pair\'s global batch)', 'dev.fast128'),
  row('', 'slow alone at batch 128', 'dev.slow128'),
  `| | fast + slow, \`--shares throughput\`, vs the batch-128 solos | ${n0(sps('dev.sized'))} | ${pct(s.devices.sized_vs_sum_batch128)} | |`,
  row('latency', 'fast (`--slow-factor 2`) alone', 'dev.fast'),
  row('', 'slow (`--slow-ms 60`, unslowed compute) alone', 'lat.slow'),
  row('', 'fast + slow, `--shares even`', 'lat.even', s.latency.even_vs_sum),
  row('', 'fast + slow, `--shares throughput`', 'lat.sized', s.latency.sized_vs_sum, true),
  row('ceiling', 'one unslowed worker', 'ceil.one'),
  row('', 'two identical unslowed workers', 'ceil.two', result.ceiling.vs_sum),
  '',
  'Per step of the fastest sized run (ms; from the server\'s applied-push log, the first step left out): wall = the server\'s mean step; mean max = the slowest push\'s step time, averaged over steps; max mean = the larger of the two workers\' mean step times (what a step would take without step-to-step jitter); serial = wall − mean max (the server\'s apply, the weights and next work going out); waits = how long a worker\'s push waited for the step\'s last one.',
  '',
  '| run | wall | mean max | max mean | serial | workers |',
  '| --- | ---: | ---: | ---: | ---: | --- |',
  ...tl('cpu-bound, throughput', s.cpu_bound.sized_timeline),
  ...tl('devices, even', s.devices.even_timeline),
  ...tl('devices, throughput', s.devices.sized_timeline),
  ...tl('latency, throughput', s.latency.sized_timeline),
  '',
  '"cpu-bound": the fast worker computes flat out and the slow one computes on the other core, so the pair contends for 2 cores with the server; two identical workers reach only the "ceiling" ratio of their sum here, and the cpu-bound pair cannot do better than that. "devices": the pair needs ~0.7 of the 2 cores, so the ratio measures the work sizing, as on separate machines (but see docs/performance.md: the emulated slowdown multiplies any contention in the slow worker\'s compute by F). "latency": a fixed 60 ms per step is paid once per step whatever the share, so at a fixed global batch the pair\'s step can never be shorter than it, while the latency worker alone pays it once per 64 samples.',
  '',
].join('\n');
writeFileSync(path.join(resultsDir, 'shares.md'), md);
console.log(md);
