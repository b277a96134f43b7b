import { createRequire } from 'node:module';
import type { EvaluationReport } from '@dtrain/training';
import { evaluationReport } from '@dtrain/training';
import type { CoordinatorView, MemberView, TotalsView } from './coordinator-view';
import type { RunInfo } from './run-snapshot';

/** A metric family as parse-prometheus-text-format returns it (values are strings, as in the text). */
export interface PromFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }[];
}

/**
 * Parses Prometheus text exposition with a real parser (parse-prometheus-text-format, a dev
 * dependency; it ships no types, hence the typed wrapper here).
 */
export function parsePrometheusText(text: string): PromFamily[] {
  const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (t: string) => PromFamily[];
  return parse(text);
}

/** The value of `name` (with exactly these labels, when given); histograms give their count. Throws when absent. */
export function promValue(families: readonly PromFamily[], name: string, labels?: Record<string, string>): number {
  const f = families.find((x) => x.name === name);
  if (!f) throw new Error(`no metric ${name}`);
  const m = f.metrics.find((x) => !labels || JSON.stringify(Object.entries(x.labels ?? {}).sort()) === JSON.stringify(Object.entries(labels).sort()));
  if (!m) throw new Error(`no ${name} with labels ${JSON.stringify(labels)}`);
  return Number(m.value ?? m.count);
}

export function fakeRunInfo(over: Partial<RunInfo> = {}): RunInfo {
  return {
    runId: 'run-0001',
    mode: 'bsp',
    compression: 'none',
    dataset: 'mnist-subset',
    model: 'cnn',
    backend: 'cpu',
    epochs: 2,
    batchSize: 32,
    workers: 2,
    samplesPerEpoch: 1000,
    classNames: ['zero', 'one', 'two'],
    startedAt: Date.UTC(2026, 0, 1),
    ...over,
  };
}

/** An evaluation report from fixed labels: class 0 always right, 1 and 2 sometimes confused. */
export function fakeReport(loss = 0.5): EvaluationReport {
  const yTrue = [0, 0, 0, 1, 1, 1, 2, 2, 2, 2];
  const yPred = [0, 0, 0, 1, 1, 2, 2, 2, 1, 2];
  return evaluationReport(yTrue, yPred, 3, loss);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };
export type FakeMember = Mutable<MemberView>;
export type FakeTotals = Mutable<TotalsView>;

/** A member as telemetry sees it (see MemberView), all figures zero unless given. */
export function fakeMember(workerId: string, joinOrder: number, stats: Partial<FakeMember['stats']> = {}, over: Partial<Omit<FakeMember, 'stats'>> = {}): FakeMember {
  return {
    workerId,
    joinOrder,
    state: 'active',
    lastSeen: 0,
    backend: 'cpu',
    stats: { applied: 0, samples: 0, samplesPerSec: 0, bytesIn: 0, bytesOut: 0, lastStaleness: 0, maxStaleness: 0, dropped: 0, rejected: 0, lastStepMs: 0, lastBatch: 0, ...stats },
    ...over,
  };
}

/** A mutable stand-in for the coordinator: set fields, then read telemetry. */
export interface FakeView extends Omit<CoordinatorView, 'members' | 'totals' | 'state' | 'version'> {
  members: Map<string, FakeMember>;
  totals: FakeTotals;
  state: string;
  version: number;
}

export function fakeView(members: FakeMember[] = []): FakeView {
  const map = new Map(members.map((m) => [m.workerId, m]));
  return {
    members: map,
    totals: { steps: 0, samples: 0, bytesIn: 0, bytesOut: 0, droppedPushes: 0, stalePushes: 0, rejectedFrames: {}, aggregateMs: 0, applyMs: 0 },
    state: 'training',
    version: 0,
    get activeCount() {
      let n = 0;
      for (const m of map.values()) if (m.state === 'active') n++;
      return n;
    },
  };
}
