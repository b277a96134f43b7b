import type { Member, RunTotals } from '@dtrain/coordinator';
import type { WorkerRow } from './run-snapshot';

/**
 * The read-only part of `Coordinator` telemetry looks at. Structural, so a test passes a plain
 * object and `dtrain train` (no coordinator) passes nothing.
 */
export interface CoordinatorView {
  readonly members: ReadonlyMap<string, Member>;
  readonly totals: RunTotals;
  readonly state: string;
  readonly version: number;
  readonly activeCount: number;
}

/** One row of the worker table; `now` is on the same monotonic clock as `Member.lastSeen`. */
export function workerRow(m: Member, now: number): WorkerRow {
  const s = m.stats;
  return {
    id: m.workerId,
    state: m.state,
    backend: m.backend,
    step: s.applied,
    samples: s.samples,
    samplesPerSec: s.samplesPerSec,
    lastSeenMsAgo: Math.max(0, Math.round(now - m.lastSeen)),
    bytesIn: s.bytesIn,
    bytesOut: s.bytesOut,
    lastStaleness: s.lastStaleness,
    maxStaleness: s.maxStaleness,
    dropped: s.dropped,
    rejected: s.rejected,
    lastStepMs: Math.round(s.lastStepMs),
    batch: s.lastBatch,
  };
}

/** Active workers first (in join order), then the ones that left or were lost. */
export function workerRows(view: CoordinatorView, now: number): WorkerRow[] {
  const rank = (state: string): number => (state === 'active' ? 0 : 1);
  return [...view.members.values()].sort((a, b) => rank(a.state) - rank(b.state) || a.joinOrder - b.joinOrder).map((m) => workerRow(m, now));
}
