import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { netnsUnavailable } from '../support/netns';

const repoRoot = join(fileURLToPath(new URL('.', import.meta.url)), '../..');
const BENCH = join(repoRoot, 'bench/src/network/network-bench.ts');

const missing = netnsUnavailable();
if (missing) console.warn(`skipping the network bench test: ${missing}`);

describe.skipIf(missing !== undefined)('npm run bench:network -- --quick (network namespaces, shaped links)', () => {
  it('runs 16 synthetic workers (and the same configuration at N = 1) against sharded servers over 1 Gbit/s links and reports sane figures', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', BENCH, '--quick'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, err).toBe(0);
    const last = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    expect(last['skipped'], 'the bench skipped although this machine passed the same checks').toBeUndefined();
    expect(last).toMatchObject({ workers: 16, link_mbit: 1000, compression: 'int4/int2' });
    expect(last['servers'] as number).toBeGreaterThanOrEqual(1);
    expect(last['samples_per_s'] as number).toBeGreaterThan(0);
    expect(last['ideal_samples_per_s'] as number).toBeGreaterThan(0);
    // The headline is against N × one worker: quick mode measures the same configuration at N = 1 too.
    const one = last['n1_samples_per_s'] as number;
    expect(one).toBeGreaterThan(0);
    const eff = last['scaling_efficiency'] as number;
    expect(eff).toBeGreaterThan(0);
    expect(eff).toBeLessThanOrEqual(1.2);
    expect(eff).toBeCloseTo((last['samples_per_s'] as number) / (16 * one), 2);
    // The compute-ideal ratio is reported beside it.
    const compute = last['compute_efficiency'] as number;
    expect(compute).toBeGreaterThan(0);
    expect(compute).toBeCloseTo((last['samples_per_s'] as number) / (last['ideal_samples_per_s'] as number), 2);
    expect(Array.isArray(last['shard_cpu_ms_per_step'])).toBe(true);
    // The bench removes every namespace it made.
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toMatch(/\bdtn-/);
  }, 300_000);
});
