/**
 * Sharded parameter servers on loopback: `dtrain local --workers W --servers K` for K = 1 and each
 * other K asked, alternating K run after run so drift in the machine's load hits every K alike. On
 * loopback bytes are free, so this measures what sharding costs (more processes, a header and K
 * receipts per push, K weight frames per step) rather than what it buys on a limited link (that is
 * `npm run bench:network`). Reports each run and the median samples/s per K, and the weights checksum
 * (BSP with K shards must train the one server's very weights).
 * Run: node --import tsx bench/src/servers-bench.ts [--servers 2] [--workers 2] [--reps 3] [--dataset mnist] [--train-limit 20000] [--compression none]
 * Writes bench/results/servers-loopback.json and .md.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { argNumber, argString } from './args';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const dtrain = path.join(repoRoot, 'bin/dtrain.js');
const resultsDir = path.join(repoRoot, 'bench/results');

const workers = argNumber('workers', 2);
const reps = argNumber('reps', 3);
const others = argString('servers', '2').split(',').map(Number).filter((k) => k > 1);
const dataset = argString('dataset', 'mnist');
const trainLimit = argNumber('train-limit', 20_000);
const compression = argString('compression', 'none');

interface RunResult {
  servers: number;
  rep: number;
  samplesPerSec: number;
  accuracy: number;
  checksum: string;
  serverBytesPerStepMax: number;
  loadAvg: number;
}

async function run(servers: number, rep: number): Promise<RunResult> {
  const args = [dtrain, 'local', '--workers', String(workers), '--servers', String(servers), '--dataset', dataset, '--train-limit', String(trainLimit), '--test-limit', '1000',
    '--epochs', '1', '--seed', '3', '--compression', compression, '--json', '--no-dashboard', '--out', path.join(os.tmpdir(), `servers-bench-${servers}`)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
  const s = JSON.parse(lines.at(-1) ?? '{}') as Record<string, unknown>;
  if (code !== 0 || typeof s['samples_per_s'] !== 'number') throw new Error(`run with --servers ${servers} failed (${code})`);
  return {
    servers,
    rep,
    samplesPerSec: s['samples_per_s'] as number,
    accuracy: s['test_accuracy'] as number,
    checksum: s['weights_checksum'] as string,
    serverBytesPerStepMax: s['server_bytes_per_step_max'] as number,
    loadAvg: os.loadavg()[0]!,
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const results: RunResult[] = [];
for (let rep = 1; rep <= reps; rep++) {
  for (const k of [1, ...others]) {
    const r = await run(k, rep);
    results.push(r);
    console.error(`--servers ${k} rep ${rep}: ${r.samplesPerSec} samples/s, accuracy ${r.accuracy}, checksum ${r.checksum}, load ${r.loadAvg.toFixed(2)}`);
  }
}
const byK = [1, ...others].map((k) => {
  const rs = results.filter((r) => r.servers === k);
  return { servers: k, medianSamplesPerSec: median(rs.map((r) => r.samplesPerSec)), checksums: [...new Set(rs.map((r) => r.checksum))], serverBytesPerStepMax: rs[0]!.serverBytesPerStepMax };
});
const base = byK[0]!.medianSamplesPerSec;
const summary = { date: new Date().toISOString(), cpus: os.cpus().length, node: process.version, workers, dataset, trainLimit, compression, reps, runs: results, byServers: byK.map((b) => ({ ...b, vsOneServer: +(b.medianSamplesPerSec / base).toFixed(3) })) };
mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, 'servers-loopback.json'), JSON.stringify(summary, null, 2) + '\n');
const md = [
  `# Sharded parameter servers on loopback, ${summary.date}`,
  '',
  `${summary.cpus} cpus, Node ${summary.node}; \`dtrain local --workers ${workers} --servers K\`, ${dataset}, first ${trainLimit} samples, 1 epoch, BSP, batch 64 per worker, compression ${compression}; K alternated run after run, ${reps} runs each; samples/s is the server's (steady, first update left out). Load average at the end of each run is in the JSON.`,
  '',
  '| servers | median samples/s | vs one server | bytes per step, busiest server | weights checksum |',
  '| ---: | ---: | ---: | ---: | --- |',
  ...summary.byServers.map((b) => `| ${b.servers} | ${Math.round(b.medianSamplesPerSec)} | ${b.vsOneServer.toFixed(2)} | ${(b.serverBytesPerStepMax / 1e6).toFixed(2)} MB | ${b.checksums.join(', ')} |`),
  '',
  'The same checksum for every K: BSP with shards trains the one server\'s very weights.',
  '',
].join('\n');
writeFileSync(path.join(resultsDir, 'servers-loopback.md'), md);
console.log(JSON.stringify(summary.byServers));
