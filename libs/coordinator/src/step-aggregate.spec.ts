import { describe, expect, it } from 'vitest';
import type { EncodedTensor } from '@dtrain/protocol';
import { decodeTensor, encodeTensor } from '@dtrain/training';
import { TrainableLayout } from '@dtrain/model';
import { flatManifest } from '@dtrain/model/testing';
import { StepAggregate } from './step-aggregate';

const fp32 = (...xs: number[]): EncodedTensor => ({ codec: 'fp32', length: xs.length, data: Float32Array.from(xs) });

describe('StepAggregate', () => {
  it('forms the sample-weighted mean gradient and loss of a step', () => {
    const a = new StepAggregate(2);
    a.countPush(1, 3);
    a.add(fp32(1, 2), 1, false);
    a.countPush(3, 1);
    a.add(fp32(5, 6), 3, false);
    expect(a.pushes).toBe(2);
    expect(a.samples).toBe(4);
    expect(a.meanLoss).toBeCloseTo(1.5);
    expect(Array.from(a.mean())).toEqual([4, 5]);
  });

  it('gives the same bits whether the last push is fused into the mean or added first', () => {
    const grads = [fp32(0.1, -0.3), fp32(0.7, 1e-7), fp32(-0.2, 0.33)];
    const run = (fuse: boolean): Float32Array => {
      const a = new StepAggregate(2);
      grads.forEach((g, i) => {
        a.countPush(i + 1, 0);
        a.add(g, i + 1, fuse && i === grads.length - 1);
      });
      return a.mean().slice();
    };
    expect(run(true)).toEqual(run(false));
  });

  it('does not depend on the order pushes arrive in', () => {
    // In float32, (1e8 + 1) - 1e8 is 0 but (1e8 - 1e8) + 1 is 1.
    const grads: [EncodedTensor, number][] = [[fp32(1e8), 1], [fp32(1), 1], [fp32(-1e8), 1]];
    const run = (order: number[]): Float32Array => {
      const a = new StepAggregate(1);
      for (const i of order) {
        const [g, n] = grads[i]!;
        a.countPush(n, 0);
        a.add(g, n, false);
      }
      return a.mean().slice();
    };
    expect(run([0, 1, 2])).toEqual(run([0, 2, 1]));
    expect(run([0, 1, 2])[0]).toBeCloseTo(1 / 3);
  });

  it('decodes lossy gradients, and starts a step afresh after reset', () => {
    const x = Float32Array.from([0.5, -1, 0.25, 2]);
    const int8 = encodeTensor(x, { kind: 'int8' }) as EncodedTensor;
    const a = new StepAggregate(4);
    a.countPush(7, 0);
    a.add(fp32(9, 9, 9, 9), 7, false);
    a.reset();
    a.countPush(2, 0);
    a.add(int8, 2, true);
    expect(a.pushes).toBe(1);
    expect(Array.from(a.mean())).toEqual(Array.from(decodeTensor(int8)));
  });

  it('unpacks packed pushes (fp32 or lossy) with zeros for the frozen weights, beside full ones, in BSP and alone', () => {
    const layout = TrainableLayout.of(flatManifest(['a/k', 1], ['b/k', 3]), ['a'])!;
    const agg = new StepAggregate(4, layout);
    const int8 = encodeTensor(Float32Array.of(0.5, -1, 2), { kind: 'int8' }) as EncodedTensor;
    const dec = decodeTensor(int8);
    // a full push first leaves its values in the buffer the sum reads; the packed ones after it must not see them
    agg.countPush(1, 0);
    agg.add(fp32(4, 4, 4, 4), 1, false);
    agg.countPush(1, 0);
    agg.add(fp32(1, 2, 3), 1, false);
    agg.countPush(2, 0);
    agg.add(int8, 2, true);
    expect(Array.from(agg.mean())).toEqual([4 / 4, (4 + 1 + 2 * dec[0]!) / 4, (4 + 2 + 2 * dec[1]!) / 4, (4 + 3 + 2 * dec[2]!) / 4].map(Math.fround));
    expect(Array.from(agg.decodeAlone(fp32(7, 8, 9)))).toEqual([0, 7, 8, 9]);
    expect(Array.from(agg.decodeAlone(int8))).toEqual([0, ...dec]);
  });
});
