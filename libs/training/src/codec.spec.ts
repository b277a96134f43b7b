import { describe, expect, it } from 'vitest';
import { addDecodedInto, decodeTensor, encodeTensor } from './codec';
import type { CompressionSpec } from './compression-spec';
import { encodedTensorBytes as encodedByteLength } from '@dtrain/protocol';
import { seededGradient } from './testing';
import { TopKSelector } from './top-k';

const gradient = (n: number, seed: number) => seededGradient(n, seed);

describe('encodeTensor / decodeTensor', () => {
  const x = gradient(5000, 1);

  it("'none' is lossless fp32 and never aliases the input", () => {
    const e = encodeTensor(x, { kind: 'none' });
    expect(e.codec).toBe('fp32');
    expect(decodeTensor(e)).toEqual(x);
    if (e.codec === 'fp32') expect(e.data).not.toBe(x);
    expect(encodedByteLength(e)).toBe(4 * 5000);
  });

  it('fp16 has relative error ≤ 2^-11 in the normal range and costs 2 bytes per element', () => {
    const e = encodeTensor(x, { kind: 'fp16' });
    const y = decodeTensor(e);
    let checked = 0;
    for (let i = 0; i < x.length; i++) {
      const a = Math.abs(x[i]!);
      if (a >= 2 ** -14 && a <= 65504) {
        expect(Math.abs(y[i]! - x[i]!)).toBeLessThanOrEqual(a * 2 ** -11);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(4000);
    expect(encodedByteLength(e)).toBe(2 * 5000);
  });

  it('int8 error is ≤ scale/2 per element; bytes = n + 4·chunks', () => {
    for (const chunk of [1, 7, 512, 10_000]) {
      const e = encodeTensor(x, { kind: 'int8', chunk });
      if (e.codec !== 'int8') throw new Error('wrong codec');
      expect(e.scales.length).toBe(Math.ceil(5000 / chunk));
      const y = decodeTensor(e);
      let worst = 0; // error / (scale/2), must stay ≤ 1 up to float32 rounding
      for (let i = 0; i < x.length; i++) {
        const s = e.scales[Math.floor(i / chunk)]!;
        const err = Math.abs(y[i]! - x[i]!);
        if (err > 0) worst = Math.max(worst, err / (s / 2));
        if (Math.abs(e.data[i]!) > 127) expect.fail(`q out of range at ${i}`);
      }
      expect(worst).toBeLessThanOrEqual(1 + 1e-6);
      if (chunk > 1) expect(worst).toBeGreaterThan(0.5); // the bound is nearly reached, so it is tight
      expect(encodedByteLength(e)).toBe(5000 + 4 * Math.ceil(5000 / chunk));
    }
    // The chunk's largest magnitude is exact (q = ±127) and an all-zero chunk decodes to zeros.
    const e = encodeTensor(Float32Array.of(0, 0, -3, 1.5), { kind: 'int8', chunk: 2 });
    expect([...decodeTensor(e)]).toEqual([0, 0, -3, Math.fround(Math.fround(3 / 127) * 64)]);
  });

  it.each([
    ['int4', 4, 7],
    ['int3', 3, 3],
    ['int2', 2, 1],
  ] as const)('%s codes are in ±L, error ≤ scale/2 per element; bytes = ⌈n·bits/8⌉ + 4·chunks', (kind, bits, levels) => {
    for (const chunk of [1, 7, 256, 10_000]) {
      for (const n of [5000, 4999]) {
        const xs = x.subarray(0, n);
        const e = encodeTensor(xs, { kind, chunk });
        if (e.codec !== kind) throw new Error('wrong codec');
        expect(e.data.length).toBe(Math.ceil((n * bits) / 8));
        const y = decodeTensor(e);
        let worst = 0;
        for (let i = 0; i < n; i++) {
          const s: number = e.scales[Math.floor(i / chunk)]!;
          const q: number = s > 0 ? Math.round(y[i]! / s) : 0;
          if (Math.abs(q) > levels) expect.fail(`q ${q} out of range at ${i}`);
          const err = Math.abs(y[i]! - xs[i]!);
          if (err > 0) worst = Math.max(worst, err / (s / 2));
        }
        expect(worst).toBeLessThanOrEqual(1 + 1e-6);
        // The bound is nearly reached (some element sits near a rounding midpoint) — except for ternary
        // codes of this heavy-tailed gradient, where few elements come near half the chunk's absmax.
        if (chunk >= 256 && levels > 1) expect(worst).toBeGreaterThan(0.9);
        expect(encodedByteLength(e)).toBe(Math.ceil((n * bits) / 8) + 4 * Math.ceil(n / chunk));
      }
    }
  });

  it('packs biased codes little-endian bit by bit, across byte boundaries, extremes exact', () => {
    // int4: chunk [-7, 7, 3, -3, 0] has scale 1; [1] alone has scale 1/7. Codes q + 7.
    const e4 = encodeTensor(Float32Array.of(-7, 7, 3, -3, 0, 1), { kind: 'int4', chunk: 5 });
    expect([...decodeTensor(e4)]).toEqual([-7, 7, 3, -3, 0, 1]);
    if (e4.codec === 'int4') expect([...e4.data]).toEqual([0xe0, 0x4a, 0xe7]);
    // int3: codes 0, 6, 4 = bits 000 110 100 → 0b00110000, 0b1 (the third code straddles bytes).
    const e3 = encodeTensor(Float32Array.of(-3, 3, 1), { kind: 'int3', chunk: 3 });
    expect([...decodeTensor(e3)]).toEqual([-3, 3, 1]);
    if (e3.codec === 'int3') expect([...e3.data]).toEqual([0x30, 0x01]);
    // int2 is ternary: everything below half the chunk's absmax becomes 0.
    const e2 = encodeTensor(Float32Array.of(-2, 0.9, 1.1, 2, 0), { kind: 'int2' });
    expect([...decodeTensor(e2)]).toEqual([-2, 0, 2, 2, 0]);
  });

  it('sign decodes to ±(mean |x| of the chunk) by the sign of x; bytes = ⌈n/8⌉ + 4·chunks', () => {
    const xs = Float32Array.of(1, -3, 0, -0, 2, -2, 5, -1, 0.5, -0.5);
    const e = encodeTensor(xs, { kind: 'sign', chunk: 4 });
    if (e.codec !== 'sign') throw new Error('wrong codec');
    expect([...e.scales]).toEqual([1, 2.5, 0.5]);
    expect([...decodeTensor(e)]).toEqual([1, -1, 1, 1, 2.5, -2.5, 2.5, -2.5, 0.5, -0.5]);
    expect(encodedByteLength(e)).toBe(2 + 4 * 3);
    // The mean |x| is the least-squares scale: any other scale decodes further from x.
    const big = encodeTensor(x, { kind: 'sign', chunk: 512 });
    const sq = (t: Float32Array) => t.reduce((a, v, i) => a + (v - x[i]!) ** 2, 0);
    const best = sq(decodeTensor(big));
    if (big.codec !== 'sign') throw new Error('wrong codec');
    for (const f of [0.9, 1.1]) expect(sq(decodeTensor({ ...big, scales: big.scales.map((v) => v * f) }))).toBeGreaterThan(best);
    expect(encodedByteLength(big)).toBe(625 + 4 * 10);
  });

  it('topk keeps exactly the k largest magnitudes with ascending indices; bytes = 8k', () => {
    const e = encodeTensor(x, { kind: 'topk', ratio: 0.01 });
    if (e.codec !== 'topk') throw new Error('wrong codec');
    expect(e.indices.length).toBe(50);
    const byMagnitude = [...x.keys()].sort((a, b) => Math.abs(x[b]!) - Math.abs(x[a]!)).slice(0, 50);
    expect([...e.indices]).toEqual(byMagnitude.sort((a, b) => a - b));
    expect([...e.values]).toEqual([...e.indices].map((i) => x[i]));
    expect(encodedByteLength(e)).toBe(8 * 50);
    const y = decodeTensor(e, new Float32Array(5000).fill(9));
    expect(y.filter((v) => v !== 0).length).toBe(50);
  });

  it('topk breaks ties at the threshold by lowest index and handles k = n and n = 0', () => {
    const sel = new TopKSelector();
    const t = sel.select(Float32Array.of(1, -2, 2, 0.5, -2, 2), 3);
    expect([...t.indices]).toEqual([1, 2, 4]);
    expect([...sel.select(Float32Array.of(-0, 3, 0), 3).indices]).toEqual([0, 1, 2]);
    expect(sel.select(new Float32Array(0), 1).indices.length).toBe(0);
    // Values differing only in the low 16 bits of their float pattern (second radix pass).
    const close = Float32Array.of(1, 1 + 2 ** -23, 1 + 2 ** -22, 1 + 3 * 2 ** -23);
    expect([...sel.select(close, 2).indices]).toEqual([2, 3]);
  });

  it('addDecodedInto equals out + weight · decode for every codec', () => {
    const specs: CompressionSpec[] = [
      { kind: 'none' },
      { kind: 'fp16' },
      { kind: 'int8', chunk: 64 },
      { kind: 'int4', chunk: 64 },
      { kind: 'int3', chunk: 64 },
      { kind: 'int2', chunk: 64 },
      { kind: 'sign', chunk: 64 },
      { kind: 'topk', ratio: 0.1 },
    ];
    for (const spec of specs) {
      const e = encodeTensor(x, spec);
      const base = gradient(5000, 2);
      const out = base.slice();
      addDecodedInto(out, e, 2.5);
      const d = decodeTensor(e);
      for (let i = 0; i < out.length; i += 13) expect(out[i]).toBeCloseTo(base[i]! + 2.5 * d[i]!, 6);
    }
    expect(() => addDecodedInto(new Float32Array(3), encodeTensor(x, { kind: 'fp16' }), 1)).toThrow(
      expect.objectContaining({ code: 'TRAIN_ERR_SIZE_MISMATCH' }),
    );
    expect(() => decodeTensor(encodeTensor(x, { kind: 'int8' }), new Float32Array(4))).toThrow(
      expect.objectContaining({ code: 'TRAIN_ERR_SIZE_MISMATCH' }),
    );
  });
});
