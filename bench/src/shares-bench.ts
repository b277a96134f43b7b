/**
 * Work sized to the worker: a fast and a slow worker under BSP, the global batch split evenly and in
 * proportion to measured throughput (`--shares throughput`), against the sum of each worker's solo
 * throughput. Real `dtrain server` and `dtrain worker` processes on this machine, mnist-subset,
 * batch 64 per worker. Workers are made slower with `--slow-factor F` (a device F times slower:
 * after each step's compute it waits (F − 1)× as long, without using the CPU). Three scenarios:
 * - cpu-bound: the fast worker unslowed, the slow one F = 2.5 — on 2 cores they contend for CPU;
 * - devices: F = 2 and F = 5, so the pair needs ~0.7 of the 2 cores: the ratio measures the work
 *   sizing alone, as on two machines;
 * - the ceiling: two identical unslowed workers against twice one, what this machine's 2 cores allow.
 * Run: node --import tsx bench/src/shares-bench.ts [--train-limit 6400] [--epochs 3]
 * Writes bench/results/shares.json and bench/results/shares.md.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
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

/** One BSP run: a server for workers slowed by the given factors; returns the server's samples/s. */
async function run(factors: number[], shares: 'even' | 'throughput'): Promise<number> {
  const server = spawn(process.execPath, [dtrain, 'server', '--host', '127.0.0.1', '--port', '0', '--workers', String(factors.length), '--dataset', 'mnist-subset',
    '--epochs', epochs, '--train-limit', trainLimit, '--test-limit', '200', '--shares', shares, '--json', '--log-level', 'error'], {
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
  const children = factors.map((f, i) =>
    spawn(process.execPath, [dtrain, 'worker', '--server', `ws://127.0.0.1:${port}`, '--worker-id', `w${i}-x${f}`, '--log-level', 'error', ...(f !== 1 ? ['--slow-factor', String(f)] : [])], {
      stdio: 'ignore',
      env: { ...process.env, DTRAIN_TOKEN: TOKEN },
    }),
  );
  const lines: string[] = [];
  createInterface({ input: server.stdout! }).on('line', (l) => lines.push(l));
  await new Promise((resolve) => server.once('exit', resolve));
  await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once('exit', resolve)))));
  const summary = JSON.parse(lines.at(-1) ?? '{}') as { samples_per_s?: number };
  if (typeof summary.samples_per_s !== 'number') throw new Error(`no summary: ${lines.at(-1)}`);
  return summary.samples_per_s;
}

interface Scenario {
  name: string;
  fast: number;
  slow: number;
  fast_solo: number;
  slow_solo: number;
  pair_even: number;
  pair_throughput: number;
  even_vs_sum: number;
  throughput_vs_sum: number;
}

async function scenario(name: string, fast: number, slow: number): Promise<Scenario> {
  const fastSolo = await run([fast], 'even');
  const slowSolo = await run([slow], 'even');
  const even = await run([fast, slow], 'even');
  const throughput = await run([fast, slow], 'throughput');
  const sum = fastSolo + slowSolo;
  return { name, fast, slow, fast_solo: fastSolo, slow_solo: slowSolo, pair_even: even, pair_throughput: throughput, even_vs_sum: even / sum, throughput_vs_sum: throughput / sum };
}

const cpuBound = await scenario('cpu-bound', 1, 2.5);
const devices = await scenario('devices', 2, 5);
const single = await run([1], 'even');
const twin = await run([1, 1], 'even');
const result = {
  when: new Date().toISOString(),
  cpus: os.cpus().length,
  node: process.version,
  train_limit: Number(trainLimit),
  epochs: Number(epochs),
  scenarios: [cpuBound, devices],
  ceiling: { one_worker: single, two_identical_workers: twin, vs_sum: twin / (2 * single) },
};
mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, 'shares.json'), JSON.stringify(result, null, 2) + '\n');
const pct = (x: number): string => `${(x * 100).toFixed(0)} %`;
const rows = (s: Scenario): string[] => [
  `| ${s.name} | fast (\`--slow-factor ${s.fast}\`) alone | ${s.fast_solo.toFixed(0)} | |`,
  `| | slow (\`--slow-factor ${s.slow}\`) alone | ${s.slow_solo.toFixed(0)} | |`,
  `| | fast + slow, \`--shares even\` | ${s.pair_even.toFixed(0)} | ${pct(s.even_vs_sum)} |`,
  `| | fast + slow, \`--shares throughput\` | **${s.pair_throughput.toFixed(0)}** | **${pct(s.throughput_vs_sum)}** |`,
];
const md = [
  `# Work sized to the worker, ${result.when}`,
  '',
  `${result.cpus} cpus, Node ${result.node}; \`dtrain server --workers N\` + real \`dtrain worker\`s, mnist-subset, first ${trainLimit} samples, ${epochs} epochs, batch 64 per worker (global batch 64 × N), BSP. \`--slow-factor F\` makes a worker a device F times slower (after each step's compute it waits (F − 1)× as long, without using the CPU). Samples/s is the server's.`,
  '',
  '| scenario | run | samples/s | vs the sum of the solos |',
  '| --- | --- | ---: | ---: |',
  ...rows(cpuBound),
  ...rows(devices),
  `| ceiling | one unslowed worker | ${single.toFixed(0)} | |`,
  `| | two identical unslowed workers | ${twin.toFixed(0)} | ${pct(result.ceiling.vs_sum)} |`,
  '',
  '"cpu-bound": the fast worker computes flat out and the slow one computes on the other core, so the pair contends for 2 cores with the server; two identical workers reach only the "ceiling" ratio of their sum here, and the cpu-bound pair cannot do better than that. "devices": the pair needs ~0.7 of the 2 cores, so the ratio measures the work sizing alone, as on separate machines.',
  '',
].join('\n');
writeFileSync(path.join(resultsDir, 'shares.md'), md);
console.log(md);
