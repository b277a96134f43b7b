import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AppliedPush } from './cluster-harness';
import { killChildren, readAppliedLog, removeTempDirs, spawnWorkers, startServerProcess } from './cluster-harness';

/** The straggler's extra time per batch: ~10× a fast worker's batch of 32 on the model of record. */
const SLOW_MS = 400;
const STALENESS = 2;
const TRAIN = 1200;
const BATCH = 32;

afterEach(killChildren);
afterAll(removeTempDirs);

/** `dtrain server` with two normal `dtrain worker`s and one `--slow-ms` straggler (w3). */
async function runWithStraggler(mode: 'asp' | 'ssp'): Promise<{ summary: Record<string, unknown>; log: AppliedPush[] }> {
  const s = await startServerProcess(['--mode', mode, '--staleness', String(STALENESS), '--workers', '3', '--epochs', '1', '--batch-size', String(BATCH)].concat(['--train-limit', String(TRAIN), '--test-limit', '200', '--seed', '5']));
  spawnWorkers(s.url, s.token, [[], [], ['--slow-ms', String(SLOW_MS)]]);
  const summary = await s.summary();
  return { summary, log: await readAppliedLog(s.outDir) };
}

/** Largest lead, over the run, of any worker's applied updates over the straggler's (its SSP clock gap). */
function maxLead(log: readonly AppliedPush[], straggler: string): number {
  const applied = new Map<string, number>();
  let lead = 0;
  for (const a of log) {
    applied.set(a.workerId, (applied.get(a.workerId) ?? 0) + 1);
    const slow = applied.get(straggler) ?? 0;
    for (const n of applied.values()) lead = Math.max(lead, n - slow);
  }
  return lead;
}

/** Each applied gradient is one update, so the i-th one is applied to version i: staleness must be i − baseVersion. */
function expectStalenessIsVersionGap(log: readonly AppliedPush[]): void {
  log.forEach((a, i) => expect({ i, staleness: a.staleness }).toEqual({ i, staleness: i - a.baseVersion }));
}

describe('asynchronous modes with a straggler (real worker processes, one with --slow-ms)', () => {
  it(
    'ASP applies every gradient on arrival, however stale, and records its staleness',
    async () => {
      const { summary, log } = await runWithStraggler('asp');
      expect(summary['stale_pushes']).toBe(0);
      expect(summary['train_samples']).toBe(TRAIN);
      expect(summary['version']).toBe(log.length);
      expectStalenessIsVersionGap(log);
      const slow = log.filter((a) => a.workerId === 'w3');
      expect(slow.length).toBeGreaterThan(0);
      // The straggler's gradients really are old here, which is what SSP must refuse.
      expect(Math.max(...slow.map((a) => a.staleness))).toBeGreaterThan(STALENESS);
      expect(maxLead(log, 'w3')).toBeGreaterThan(STALENESS + 1);
    },
    120_000,
  );

  it(
    `SSP (S = ${STALENESS}) never applies a gradient older than S and keeps every worker within S updates of the slowest`,
    async () => {
      const { summary, log } = await runWithStraggler('ssp');
      expect(Math.max(...log.map((a) => a.staleness))).toBeLessThanOrEqual(STALENESS);
      expectStalenessIsVersionGap(log);
      // A worker is given work only while it is at most S updates ahead; that batch makes it S + 1.
      expect(maxLead(log, 'w3')).toBeLessThanOrEqual(STALENESS + 1);
      // Refused gradients are redone, so the epoch still covers every sample exactly once.
      expect(summary['train_samples']).toBe(TRAIN);
      expect(log.filter((a) => a.workerId === 'w3').length).toBeGreaterThan(0);
      console.info(`SSP: ${log.length} applied, ${String(summary['stale_pushes'])} refused as stale, accuracy ${String(summary['test_accuracy'])}`);
    },
    120_000,
  );
});
