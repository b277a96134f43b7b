import { describe, expect, it } from 'vitest';
import type { BenchReport } from './bench-report';
import { cpuPerStep, median, medianRun, pairRound, peerMean, renderMarkdown, roundScaling, targets } from './bench-report';

const peer = (sps: number) => ({ available: true as const, samples_per_s: sps, ms_per_step: 64_000 / sps, raw: {} });

function report(c1: number, c2: number, single: number): BenchReport {
  const cluster = (workers: number, sps: number) => ({
    workers,
    rounds: [sps],
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
    epochs: 1,
    rounds: 1,
    batch_per_worker: 64,
    single_process: { samples_per_s: single, backend: 'wasm', tensors_flat: true, rss_flat: true, memory: [], steps: 1000 },
    clusters: [cluster(1, c1), cluster(2, c2)],
    machine_ceiling: [],
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
    expect(md).toContain('- Scaling 1 → 2 workers ≥ 90 %: **met** (94 % from the medians).');
  });

  it('takes the median round of a cluster entry and keeps every round', () => {
    const run = (sps: number) => ({ samples_per_s: sps, test_accuracy: sps / 1e4 });
    const c = medianRun(2, [run(1700), run(1400), run(1600)]);
    expect(c.rounds).toEqual([1700, 1400, 1600]);
    expect(c.result).toEqual(run(1600));
    expect(medianRun(2, [run(1700), run(1400)]).result).toEqual(run(1400));
  });

  it('fails a cluster entry when any of its rounds failed', () => {
    const c = medianRun(4, [{ samples_per_s: 1700 }, { error: 'exited with 1' }]);
    expect(c.result).toEqual({ error: 'exited with 1' });
    expect(c.rounds).toEqual([1700]);
    expect(medianRun(4, []).result).toEqual({ error: 'no rounds ran' });
  });

  it('pairs the rounds for per-round scaling and renders them', () => {
    const r = report(1000, 1800, 990);
    r.clusters = [medianRun(1, [{ samples_per_s: 1000 }, { samples_per_s: 900 }]), medianRun(2, [{ samples_per_s: 1800 }, { samples_per_s: 1710 }])];
    r.rounds = 2;
    expect(roundScaling(r)).toEqual([0.9, 0.95]);
    const md = renderMarkdown(r);
    expect(md).toContain('| dtrain cluster, 2 workers | 1710 (1800 / 1710) |');
    expect(md).toContain('(95 % from the medians; round by round 90 %, 95 %).');
  });

  it('sums the processes\' CPU per step and shows how busy the cores were', () => {
    const r = report(1000, 1600, 990);
    const two = r.clusters[1]?.result as Record<string, unknown>;
    Object.assign(two, { server_cpu_ms_per_step: 30, worker_stats: [{ cpu_ms_per_step: 60 }, { cpu_ms_per_step: 50 }] });
    expect(cpuPerStep(two)).toEqual({ server: 30, workers: [60, 50], total: 140 });
    expect(cpuPerStep({ server_cpu_ms_per_step: 30, worker_stats: [{ cpu_ms_per_step: null }] }).total).toBeUndefined();
    expect(renderMarkdown(r)).toContain('| 86 % | 30.0 | 60.0, 50.0 | 100 % |');
  });

  it('measures the machine ceiling from a trainer alone and a pair, and reports its median', () => {
    expect(pairRound({ samples_per_s: 1000 }, [{ samples_per_s: 900 }, { samples_per_s: 950 }]).scaling).toBeCloseTo(0.925, 9);
    expect(pairRound({ samples_per_s: 1000 }, [{ samples_per_s: 900 }, { error: 'x' }])).toEqual({ alone: 1000, pair: [900, undefined], scaling: undefined });
    expect(median([3, undefined, 1, 2])).toBe(2);
    expect(median([4, 1])).toBe(2.5);
    expect(median([undefined])).toBeUndefined();
    const r = report(1000, 1600, 990);
    r.machine_ceiling = [pairRound({ samples_per_s: 1000 }, [{ samples_per_s: 900 }, { samples_per_s: 950 }])];
    expect(renderMarkdown(r)).toContain("- The machine's own scaling (two independent single-process trainers at once vs one alone, no network or server): 93 % median; round by round 1000 alone, 900 + 950 together (93 %).");
    // no lockstep rounds (an older report, or --no-ceiling): no lockstep line
    expect(renderMarkdown(r)).not.toContain('lockstep');
    r.lockstep_ceiling = [pairRound({ samples_per_s: 1000 }, [{ samples_per_s: 850 }, { samples_per_s: 870 }]), pairRound({ samples_per_s: 1000 }, [{ samples_per_s: 800 }, { error: 'x' }])];
    expect(renderMarkdown(r)).toContain(
      '- The same two trainers held in lockstep by a per-step barrier, as BSP holds its workers (no network or server; each alone behind the same barrier): 86 % median; round by round 1000 alone, 850 + 870 in step (86 %); 1000 alone, 800 + ? in step (–).',
    );
  });
});
