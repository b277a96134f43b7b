import { describe, expect, it } from 'vitest';
import type { BenchReport } from './bench-report';
import { peerMean, renderMarkdown, targets } from './bench-report';

const peer = (sps: number) => ({ available: true as const, samples_per_s: sps, ms_per_step: 64_000 / sps, raw: {} });

function report(c1: number, c2: number, single: number): BenchReport {
  const cluster = (workers: number, sps: number) => ({
    workers,
    result: { samples_per_s: sps, bytes_per_step: 1_800_000 * workers, test_accuracy: 0.95, step_breakdown_ms: { wall: 70, compute: 60, encode: 1, decode: 0.5, aggregate: 1, apply: 1, weights_encode: 1, network: 5.5 }, worker_stats: [] },
  });
  return {
    benchmark: 'dtrain bench',
    when: '2026-01-01T00:00:00.000Z',
    node: 'v20',
    cpus: 2,
    cpu_model: 'test',
    loadavg: { start: [0, 0, 0], end: [0, 0, 0] },
    duration_s: 1,
    dataset: 'mnist-subset',
    train_limit: 6400,
    batch_per_worker: 64,
    single_process: { samples_per_s: single, backend: 'wasm', tensors_flat: true, rss_flat: true, memory: [], steps: 1000 },
    clusters: [cluster(1, c1), cluster(2, c2)],
    pytorch: { before: { one: peer(900), ddp2: peer(1300) }, after: { one: peer(1000), ddp2: { available: false, reason: 'x' } } },
    load_test: { error: 'skipped' },
  };
}

describe('bench report', () => {
  it('averages the peer runs that worked', () => {
    expect(peerMean([peer(900), peer(1000)])).toBe(950);
    expect(peerMean([{ available: false, reason: 'no torch' }])).toBeUndefined();
  });

  it('judges each target against the same run', () => {
    expect(targets(report(960, 1800, 990))).toEqual({ singleVsPeer1: true, cluster1VsPeer1: true, cluster2VsDdp2: true, scaling12: 1800 / 1920, leakFree: true });
    const t = targets(report(700, 1000, 900));
    expect(t.singleVsPeer1).toBe(false);
    expect(t.cluster2VsDdp2).toBe(false);
    expect(t.scaling12).toBeCloseTo(1000 / 1400, 6);
  });

  it('renders the throughput table with ratios and scaling', () => {
    const md = renderMarkdown(report(960, 1800, 990));
    expect(md).toContain('| dtrain cluster, 2 workers | 1800 | 1.89 | 1.38 | 94 % |');
    expect(md).toContain('- Scaling 1 → 2 workers ≥ 90 %: **met** (94 %).');
  });
});
