/**
 * Work sized to the worker: a fast and a slow worker (the slow one made so with `--slow-ms`) under
 * BSP, with the global batch split evenly and in proportion to measured throughput (`--shares
 * throughput`), against each worker's solo throughput. A real `dtrain server` and real `dtrain
 * worker` processes on this machine, mnist-subset, batch 64 per worker.
 * Run: node --import tsx bench/src/shares-bench.ts [--slow-ms 40] [--train-limit 6400]
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

const slowMs = Number(arg('slow-ms', '40'));
const trainLimit = arg('train-limit', '6400');

/** One BSP run: a server for the given workers (`slow` flags each), returns the server's samples/s. */
async function run(workers: boolean[], shares: 'even' | 'throughput'): Promise<number> {
  const server = spawn(process.execPath, [dtrain, 'server', '--host', '127.0.0.1', '--port', '0', '--workers', String(workers.length), '--dataset', 'mnist-subset',
    '--epochs', '1', '--train-limit', trainLimit, '--test-limit', '200', '--shares', shares, '--json', '--log-level', 'error'], {
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
  const children = workers.map((slow, i) =>
    spawn(process.execPath, [dtrain, 'worker', '--server', `ws://127.0.0.1:${port}`, '--worker-id', `${slow ? 'slow' : 'fast'}-${i}`, '--log-level', 'error', ...(slow ? ['--slow-ms', String(slowMs)] : [])], {
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

const fastSolo = await run([false], 'even');
const slowSolo = await run([true], 'even');
const even = await run([false, true], 'even');
const throughput = await run([false, true], 'throughput');
const sum = fastSolo + slowSolo;
const result = {
  when: new Date().toISOString(),
  cpus: os.cpus().length,
  node: process.version,
  slow_ms: slowMs,
  train_limit: Number(trainLimit),
  fast_solo: fastSolo,
  slow_solo: slowSolo,
  pair_even: even,
  pair_throughput: throughput,
  even_vs_sum: even / sum,
  throughput_vs_sum: throughput / sum,
};
mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, 'shares.json'), JSON.stringify(result, null, 2) + '\n');
const pct = (x: number): string => `${(x * 100).toFixed(0)} %`;
const md = [
  `# Work sized to the worker, ${result.when}`,
  '',
  `${result.cpus} cpus, Node ${result.node}; \`dtrain server --workers N\` + real \`dtrain worker\`s, mnist-subset, first ${trainLimit} samples, 1 epoch, batch 64 per worker, BSP; the slow worker adds ${slowMs} ms to every step (\`--slow-ms\`). Samples/s is the server's.`,
  '',
  '| run | samples/s | vs the sum of the solos |',
  '| --- | ---: | ---: |',
  `| fast worker alone | ${fastSolo.toFixed(0)} | |`,
  `| slow worker alone | ${slowSolo.toFixed(0)} | |`,
  `| fast + slow, \`--shares even\` | ${even.toFixed(0)} | ${pct(result.even_vs_sum)} |`,
  `| fast + slow, \`--shares throughput\` | ${throughput.toFixed(0)} | ${pct(result.throughput_vs_sum)} |`,
  '',
  'Both workers share this machine\'s 2 cores, so "the sum of the solos" is an upper bound the pair cannot reach on 2 cores when the fast worker is CPU-bound; the slow one mostly sleeps.',
  '',
].join('\n');
writeFileSync(path.join(resultsDir, 'shares.md'), md);
console.log(md);
