import { createRequire } from 'node:module';
import type { Member, MemberStats, RunTotals } from '@dtrain/coordinator';
import { emptyRunTotals, newStats } from '@dtrain/coordinator';
import type { EvaluationReport } from '@dtrain/training';
import { evaluationReport } from '@dtrain/training';
import type { CoordinatorView } from './coordinator-view';
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

export function fakeMember(workerId: string, joinOrder: number, stats: Partial<MemberStats> = {}, over: Partial<Member> = {}): Member {
  return {
    workerId,
    session: `session-${workerId}`,
    joinOrder,
    peer: { id: joinOrder, remote: '127.0.0.1:1', send: () => undefined, close: () => undefined },
    state: 'active',
    joinedAt: 0,
    lastSeen: 0,
    knownVersion: 0,
    inflight: undefined,
    clock: 0,
    backend: 'cpu',
    takesPacked: false,
    stats: { ...newStats(), ...stats },
    ...over,
  };
}

/** A mutable stand-in for the coordinator: set fields, then read telemetry. */
export function fakeView(members: Member[] = []): CoordinatorView & { members: Map<string, Member>; totals: RunTotals; state: string; version: number } {
  const map = new Map(members.map((m) => [m.workerId, m]));
  return {
    members: map,
    totals: emptyRunTotals(),
    state: 'training',
    version: 0,
    get activeCount() {
      let n = 0;
      for (const m of map.values()) if (m.state === 'active') n++;
      return n;
    },
  };
}
