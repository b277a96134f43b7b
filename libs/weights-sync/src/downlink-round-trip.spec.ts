import { describe, expect, it } from 'vitest';
import { createRng } from '@dtrain/common';
import { TrainableLayout } from '@dtrain/model';
import { flatManifest } from '@dtrain/model/testing';
import type { Weights } from '@dtrain/protocol';
import { decodeMessage } from '@dtrain/protocol';
import { WeightsApplier } from './weights-applier';
import { WeightsEncoder } from './weights-encoder';

// Both ends of the downlink together, through the real wire codec: every codec, full and delta
// frames, with and without frozen layers, to a worker that takes packed frames and to one that does not.

const SIZE = 600;
const manifest = flatManifest(['frozen/kernel', 200], ['head/kernel', 400]);
const layout = TrainableLayout.of(manifest, ['frozen'])!;
const CODECS = ['none', 'fp16', 'int8', 'int4', 'int3', 'int2', 'sign', 'topk:0.1'];
const STEPS = 30;

describe.each(CODECS)('downlink with %s', (codec) => {
  it.each([
    ['nothing frozen', false, false],
    ['frozen layers, a worker that takes packed frames', true, true],
    ['frozen layers, a worker that does not', true, false],
  ] as const)('%s: the worker holds the server weights (exactly for none) and never drifts', (_name, frozen, takesPacked) => {
    const rng = createRng(11);
    const weights = Float32Array.from({ length: SIZE }, () => rng.next() * 2 - 1);
    const initialFrozen = weights.slice(0, 200);
    const encoder = new WeightsEncoder(codec, SIZE, frozen ? layout : undefined);
    let loaded: Float32Array | undefined;
    const applier = new WeightsApplier(SIZE, (w) => (loaded = w), frozen ? layout : undefined);
    const holder = { state: 'active' };
    let maxStep = 0;
    const errors: number[] = [];
    for (let v = 1; v <= STEPS; v++) {
      if (v > 1) {
        // An optimizer step: every weight that trains moves by about lr.
        for (let i = frozen ? 200 : 0; i < SIZE; i++) {
          const d = (rng.next() * 2 - 1) * 1e-3;
          weights[i]! += d;
          maxStep = Math.max(maxStep, Math.abs(d));
        }
      }
      const frame = encoder.frameFor(holder, applier.version, v, weights, takesPacked);
      const msg = decodeMessage(frame, { maxTensorLength: SIZE }) as Weights;
      expect(applier.apply(msg)).toBe('applied');
      expect(applier.version).toBe(v);
      expect(loaded).toBeDefined();
      const held = applier.current();
      let err = 0;
      for (let i = 0; i < SIZE; i++) err = Math.max(err, Math.abs(held[i]! - weights[i]!));
      errors.push(err);
      // Frozen weights never change on the server; every codec but sign sends their zero delta as
      // exactly zero (sign has no zero: they move by at most one chunk scale, within the bound below).
      if (frozen && codec !== 'sign') expect(Array.from(held.slice(0, 200))).toEqual(Array.from(initialFrozen));
    }
    if (codec === 'none') expect(Math.max(...errors)).toBe(0);
    // Error feedback on the downlink: the error stays within about one step's size, it does not add up.
    else expect(errors.at(-1)!).toBeLessThanOrEqual(2 * maxStep);
    if (frozen && takesPacked && codec === 'none') expect(encoder.stats.packedFrames).toBe(STEPS - 1);
  });

  it('a delta against a version the worker does not hold is ignored, and a packed frame without a base asks to resync', () => {
    const encoder = new WeightsEncoder(codec, SIZE, layout);
    const applier = new WeightsApplier(SIZE, () => undefined, layout);
    const w = new Float32Array(SIZE).fill(0.5);
    const holder = { state: 'active' };
    const first = decodeMessage(encoder.frameFor(holder, -1, 1, w, true), { maxTensorLength: SIZE }) as Weights;
    const packed: Weights = { type: 'weights', v: first.v, version: 2, encoding: 'full', layout: 'trainable', payload: { codec: 'fp32', length: 400, data: new Float32Array(400) } };
    expect(new WeightsApplier(SIZE, () => undefined, layout).apply(packed)).toBe('resync');
    applier.apply(first);
    const stale: Weights = { type: 'weights', v: first.v, version: 3, encoding: 'delta', baseVersion: 2, payload: { codec: 'fp32', length: SIZE, data: new Float32Array(SIZE) } };
    expect(applier.apply(stale)).toBe('stale');
    expect(applier.version).toBe(1);
  });
});
