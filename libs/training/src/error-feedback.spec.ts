import { createRng } from '@dtrain/common';
import { describe, expect, it } from 'vitest';
import { decodeTensor } from './codec';
import type { CompressionSpec } from './compression-spec';
import { ErrorFeedback } from './error-feedback';

describe('ErrorFeedback', () => {
  const specs: CompressionSpec[] = [
    { kind: 'fp16' },
    { kind: 'int8', chunk: 32 },
    { kind: 'int4', chunk: 32 },
    { kind: 'int2', chunk: 32 },
    { kind: 'sign', chunk: 32 },
    { kind: 'topk', ratio: 0.05 },
  ];

  it.each(specs)('keeps Σ sent + residual = Σ gradients over many steps (%j)', (spec) => {
    const n = 400;
    const steps = 60;
    const r = createRng(9);
    const ef = new ErrorFeedback(n, spec);
    const sentSum = new Float64Array(n);
    const trueSum = new Float64Array(n);
    for (let s = 0; s < steps; s++) {
      const g = Float32Array.from({ length: n }, () => r.normal() * 0.01);
      for (let i = 0; i < n; i++) trueSum[i]! += g[i]!;
      const d = decodeTensor(ef.compress(g));
      for (let i = 0; i < n; i++) sentSum[i]! += d[i]!;
    }
    const res = ef.residual();
    let maxErr = 0;
    for (let i = 0; i < n; i++) maxErr = Math.max(maxErr, Math.abs(sentSum[i]! + res[i]! - trueSum[i]!));
    expect(maxErr).toBeLessThan(1e-5);
    // Lossy codecs really do leave something behind, so the invariant is not trivially met.
    expect(res.some((v) => v !== 0)).toBe(true);
  });

  it.each(specs)('a refused push restored with carriedBy/restore counts as never sent (%j)', (spec) => {
    const n = 300;
    const r = createRng(4);
    const ef = new ErrorFeedback(n, spec);
    const sentSum = new Float64Array(n);
    const appliedSum = new Float64Array(n);
    for (let s = 0; s < 40; s++) {
      const g = Float32Array.from({ length: n }, () => r.normal() * 0.01);
      const sent = ef.compress(g);
      const carried = ef.carriedBy(sent, g);
      if (s % 3 === 1) {
        // Dropped by the server: its samples will be redone, what it carried must not be lost.
        ef.restore(carried);
        continue;
      }
      const d = decodeTensor(sent);
      for (let i = 0; i < n; i++) {
        sentSum[i]! += d[i]!;
        appliedSum[i]! += g[i]!;
      }
    }
    const res = ef.residual();
    let maxErr = 0;
    for (let i = 0; i < n; i++) maxErr = Math.max(maxErr, Math.abs(sentSum[i]! + res[i]! - appliedSum[i]!));
    expect(maxErr).toBeLessThan(1e-5);
  });

  it("'none' is lossless: the residual stays exactly zero", () => {
    const ef = new ErrorFeedback(3, { kind: 'none' });
    const sent = decodeTensor(ef.compress(Float32Array.of(0.1, -0.2, 0.3)));
    expect([...sent]).toEqual([...Float32Array.of(0.1, -0.2, 0.3)]);
    expect([...ef.residual()]).toEqual([0, 0, 0]);
  });

  it('top-k sends a dropped coordinate once its residual grows large enough, and reset() forgets', () => {
    const ef = new ErrorFeedback(4, { kind: 'topk', ratio: 0.25 });
    const g = Float32Array.of(1, 0.4, 0, 0);
    const first = ef.compress(g);
    expect(first.codec === 'topk' && [...first.indices]).toEqual([0]);
    ef.compress(g); // residual of index 1 is now 0.8 < 1 + 0 for index 0 → index 0 again
    const third = ef.compress(g); // index 1 has 1.2 > 1
    expect(third.codec === 'topk' && [...third.indices]).toEqual([1]);
    const before = [...ef.residual()];
    expect(() => ef.compress(Float32Array.of(0, NaN, 0, 0))).toThrow(expect.objectContaining({ code: 'TRAIN_ERR_BAD_TENSOR' }));
    expect([...ef.residual()]).toEqual(before);
    ef.reset();
    expect([...ef.residual()]).toEqual([0, 0, 0, 0]);
    expect(() => ef.compress(new Float32Array(3))).toThrow(expect.objectContaining({ code: 'TRAIN_ERR_SIZE_MISMATCH' }));
    expect(() => new ErrorFeedback(4, { kind: 'topk', ratio: 2 })).toThrow(expect.objectContaining({ code: 'TRAIN_ERR_BAD_COMPRESSION' }));
  });
});
