import { describe, expect, it } from 'vitest';
import type { StepInputs } from './analytic-model';
import { codecBytes, fitCoordinator, fitServerCpu, predictStep, relativeError, transferMs } from './analytic-model';

const CNN = 225_034;
const base: StepInputs = {
  workers: 1,
  shards: 1,
  linkMbit: 1000,
  goodput: 1,
  computeMs: 25,
  batch: 64,
  pushBytes: 4 * CNN,
  weightsBytes: 4 * CNN,
  encodeMs: 0,
  server: { fixedMs: 0, nsPerByte: 0 },
};

describe('analytic model', () => {
  it('carries 125 MB/s on a 1 Gbit/s link at goodput 1', () => {
    expect(transferMs(125_000, 1000, 1)).toBeCloseTo(1, 9);
    expect(transferMs(125_000, 1000, 0.5)).toBeCloseTo(2, 9);
  });

  it('one worker: weights frame + compute + push + fixed server time, in series', () => {
    const p = predictStep({ ...base, server: { fixedMs: 2, nsPerByte: 0 } });
    const frame = transferMs(4 * CNN, 1000, 1);
    expect(p.stepMs).toBeCloseTo(frame + 25 + frame + 2, 9);
    expect(p.idealSamplesPerS).toBeCloseTo(64_000 / 25, 9);
    expect(p.efficiency).toBeCloseTo(25 / p.stepMs, 9);
  });

  it('many workers on uncompressed frames are bound by the server link, and compression or shards lift the bound', () => {
    const fp32 = predictStep({ ...base, workers: 32 });
    expect(fp32.limit).toBe('server link');
    // 32 workers' weights out, then their pushes in, each sharing the server's link: 64 frame times per step.
    expect(fp32.stepMs).toBeCloseTo(64 * transferMs(4 * CNN, 1000, 1) + 25, 6);
    const small = predictStep({ ...base, workers: 32, pushBytes: codecBytes(CNN, 'int4'), weightsBytes: codecBytes(CNN, 'int2') });
    expect(small.samplesPerS).toBeGreaterThan(3 * fp32.samplesPerS);
    const sharded = predictStep({ ...base, workers: 32, shards: 4 });
    expect(sharded.stepMs).toBeLessThan(fp32.stepMs / 2);
  });

  it('tiny frames leave compute as the limit and efficiency near 1', () => {
    const p = predictStep({ ...base, workers: 16, pushBytes: 1000, weightsBytes: 1000 });
    expect(p.limit).toBe('compute');
    expect(p.efficiency).toBeGreaterThan(0.98);
    expect(p.efficiency).toBeLessThanOrEqual(1);
  });

  it('adds the server CPU per byte of every frame, and calls it the limit where it is the largest part', () => {
    const slowCpu = predictStep({ ...base, workers: 8, pushBytes: 10_000, weightsBytes: 10_000, server: { fixedMs: 1, nsPerByte: 1000 } });
    // 8 workers × 20 kB at 1000 ns/byte = 160 ms, far above their 1.3 ms on the link.
    expect(slowCpu.serverCpuMs).toBeCloseTo(161, 9);
    expect(slowCpu.stepMs).toBeGreaterThan(161 + 25);
    expect(slowCpu.stepMs).toBeLessThan(161 + 25 + 2);
    expect(slowCpu.limit).toBe('server cpu');
  });

  it('a slower worker link adds its excess over the server-side frame time', () => {
    const fast = predictStep({ ...base });
    const slow = predictStep({ ...base, workerMbit: 100 });
    expect(slow.stepMs - fast.stepMs).toBeCloseTo(2 * (transferMs(4 * CNN, 100, 1) - transferMs(4 * CNN, 1000, 1)), 6);
    expect(slow.limit).toBe('worker link');
  });

  it('fits the server CPU line exactly from points on it', () => {
    const truth = { fixedMs: 3, nsPerByte: 2 };
    const samples = [1, 2, 4, 8].map((n) => ({ workers: n, bytesPerWorker: 1e6, cpuMsPerStep: truth.fixedMs + (n * 1e6 * truth.nsPerByte) / 1e6 }));
    const fit = fitServerCpu(samples);
    expect(fit.fixedMs).toBeCloseTo(3, 9);
    expect(fit.nsPerByte).toBeCloseTo(2, 9);
    expect(fitServerCpu([{ workers: 1, bytesPerWorker: 5, cpuMsPerStep: 4 }])).toEqual({ fixedMs: 4, nsPerByte: 0 });
    expect(fitServerCpu([])).toEqual({ fixedMs: 0, nsPerByte: 0 });
  });

  it('K measured shards: each handles 1/K of the bytes on its own CPU line, and the coordinator adds its part in series', () => {
    const shard = { fixedMs: 1, nsPerByte: 10 };
    const coordinator = { fixedMs: 2, perWorkerMs: 0.25 };
    const one = predictStep({ ...base, workers: 16, shards: 4, pushBytes: 100_000, weightsBytes: 100_000, shard, coordinator });
    // Per shard: 16 × 50 kB at 10 ns/byte = 8 ms + 1 ms fixed; coordinator: 2 + 16 × 0.25 = 6 ms.
    expect(one.serverCpuMs).toBeCloseTo(9, 9);
    expect(one.coordinatorMs).toBeCloseTo(6, 9);
    const without = predictStep({ ...base, workers: 16, shards: 4, pushBytes: 100_000, weightsBytes: 100_000, shard });
    expect(one.stepMs - without.stepMs).toBeCloseTo(6, 9);
    expect(fitCoordinator([1, 4, 16].map((n) => ({ workers: n, ms: 2 + 0.25 * n })))).toEqual({ fixedMs: 2, perWorkerMs: 0.25 });
    expect(fitCoordinator([{ workers: 4, ms: 3 }])).toEqual({ fixedMs: 3, perWorkerMs: 0 });
  });

  it('sizes codec payloads as libs/training packs them', () => {
    expect(codecBytes(CNN, 'none', 0)).toBe(4 * CNN);
    expect(codecBytes(1024, 'int4', 0)).toBe(512 + 16);
    expect(codecBytes(1024, 'int2', 0)).toBe(256 + 16);
    expect(() => codecBytes(10, 'topk:0.01')).toThrow(/codec/);
  });

  it('relative error is signed and relative to the measurement', () => {
    expect(relativeError(110, 100)).toBeCloseTo(0.1, 9);
    expect(relativeError(90, 100)).toBeCloseTo(-0.1, 9);
  });
});
