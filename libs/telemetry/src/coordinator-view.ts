import type { WorkerRow } from './run-snapshot';

/**
 * What telemetry reads of one member. Telemetry owns this shape and the coordinator's `Member`
 * satisfies it structurally, so a new per-worker figure is one field here and one in `workerRow`,
 * and telemetry does not depend on the parameter server's internals.
 */
export interface MemberView {
  readonly workerId: string;
  readonly joinOrder: number;
  readonly state: string;
  readonly backend: string;
  /** On the same monotonic clock as the `now` given to `workerRow`. */
  readonly lastSeen: number;
  readonly stats: {
    readonly applied: number;
    readonly samples: number;
    readonly samplesPerSec: number;
    readonly bytesIn: number;
    readonly bytesOut: number;
    readonly lastStaleness: number;
    readonly maxStaleness: number;
    readonly dropped: number;
    readonly rejected: number;
    readonly lastStepMs: number;
    readonly lastBatch: number;
  };
}

/** The run totals telemetry shows and exports. */
export interface TotalsView {
  readonly steps: number;
  readonly samples: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly droppedPushes: number;
  readonly stalePushes: number;
  readonly rejectedFrames: Readonly<Record<string, number>>;
  readonly aggregateMs: number;
  readonly applyMs: number;
}

/**
 * The read-only part of the parameter server telemetry looks at. Structural, so a test passes a
 * plain object, the coordinator passes itself, and `dtrain train` (no coordinator) passes nothing.
 */
export interface CoordinatorView {
  readonly members: ReadonlyMap<string, MemberView>;
  readonly totals: TotalsView;
  readonly state: string;
  readonly version: number;
  readonly activeCount: number;
}

/** One row of the worker table: the one projection of a member's stats that viewers see. */
export function workerRow(m: MemberView, now: number): WorkerRow {
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

/**
 * Active workers first, then the ones that left or were lost, each in join order, at most
 * `maxRows` of them: a run with thousands of members does not make every viewer update (and the
 * snapshot) grow with it. The oldest gone members are left out first, then the latest-joined
 * active ones; the members left out are `view.members.size` minus the rows.
 */
export function workerTable(view: CoordinatorView, now: number, maxRows: number): WorkerRow[] {
  const active: MemberView[] = [];
  const gone: MemberView[] = [];
  for (const m of view.members.values()) (m.state === 'active' ? active : gone).push(m);
  const byJoin = (a: MemberView, b: MemberView): number => a.joinOrder - b.joinOrder;
  active.sort(byJoin);
  gone.sort(byJoin);
  const cap = Math.max(0, maxRows);
  const shownActive = active.slice(0, cap);
  const goneRoom = cap - shownActive.length;
  const shownGone = goneRoom > 0 ? gone.slice(-goneRoom) : [];
  const shown = shownActive.concat(shownGone);
  return shown.map((m) => workerRow(m, now));
}
