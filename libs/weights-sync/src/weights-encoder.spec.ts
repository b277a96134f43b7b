import { createRng } from '@dtrain/common';
import type { Weights } from '@dtrain/protocol';
import { decodeMessage } from '@dtrain/protocol';
import { decodeTensor, encodeTensor, parseCompression } from '@dtrain/training';
import { describe, expect, it } from 'vitest';
import { TrainableLayout } from '@dtrain/model';
import { flatManifest } from '@dtrain/model/testing';
import { WeightsEncoder } from './weights-encoder';

const N = 3000;

/** What run-worker does with a weights frame: validate it, then overwrite (full) or decode and add (delta). */
class SimulatedWorker {
  weights = new Float32Array(N);
  version = -1;
  readonly state = 'active';
  /** Set by a test: where packed frames (frozen layers) go. */
  layout: TrainableLayout | undefined;
  receive(frame: Uint8Array): Weights {
    const msg = decodeMessage(frame, { maxTensorLength: N });
    if (msg.type !== 'weights') throw new Error(`expected weights, got ${msg.type}`);
    if (msg.encoding === 'delta') {
      if (msg.baseVersion !== this.version) throw new Error(`delta from ${msg.baseVersion}, worker holds ${this.version}`);
      const d = decodeTensor(msg.payload);
      for (let i = 0; i < N; i++) this.weights[i]! += d[i]!;
    } else if (msg.layout === 'trainable') {
      if (!this.layout || this.version < 0) throw new Error('packed weights without the frozen ones');
      this.layout.place(decodeTensor(msg.payload), this.weights);
    } else decodeTensor(msg.payload, this.weights);
    this.version = msg.version;
    return msg;
  }
}

/** Server weights that move like Adam's: every coordinate by about lr per step, in a persistent direction. */
function trajectory(seed: number): () => Float32Array {
  const rng = createRng(seed);
  const w = Float32Array.from({ length: N }, () => rng.normal() * 0.1);
  const drift = Float32Array.from({ length: N }, () => rng.normal());
  return () => {
    for (let i = 0; i < N; i++) w[i]! += 1e-3 * (0.7 * Math.sign(drift[i]!) + 0.3 * rng.normal());
    return w;
  };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('WeightsEncoder', () => {
  it("'none' sends the full fp32 weights, one frame per version shared by every worker", () => {
    const enc = new WeightsEncoder('none', N);
    const step = trajectory(1);
    const a = new SimulatedWorker();
    const b = new SimulatedWorker();
    for (let v = 0; v < 5; v++) {
      const w = step();
      const fa = enc.frameFor(a, a.version, v, w);
      const fb = enc.frameFor(b, b.version, v, w);
      expect(fb).toBe(fa);
      expect(a.receive(fa).encoding).toBe('full');
      b.receive(fb);
      expect(maxAbsDiff(a.weights, w)).toBe(0);
      expect(fa.byteLength).toBeGreaterThan(4 * N);
    }
    expect(enc.replicas).toBe(0);
  });

  it('int8 deltas: the worker is never further off than the last delta’s own quantisation error (no drift)', () => {
    const enc = new WeightsEncoder('int8:100', N);
    const step = trajectory(2);
    const worker = new SimulatedWorker();
    let prev = new Float32Array(N);
    for (let v = 0; v < 300; v++) {
      const w = step();
      const msg = worker.receive(enc.frameFor(worker, worker.version, v, w));
      if (v === 0) expect(msg.encoding).toBe('full');
      else {
        if (msg.payload.codec !== 'int8') throw new Error('expected an int8 delta');
        const scales = msg.payload.scales;
        for (let i = 0; i < N; i++) {
          const bound = scales[Math.floor(i / 100)]! / 2;
          const err = Math.abs(worker.weights[i]! - w[i]!);
          if (err > bound * (1 + 1e-5) + 1e-7) expect.fail(`version ${v}, element ${i}: error ${err} > ${bound}`);
        }
      }
      prev = w.slice();
    }
    // One step moves a coordinate by ≈1e-3; an int8 delta of it is off by ≤ 1e-3 / 254 per coordinate.
    expect(maxAbsDiff(worker.weights, prev)).toBeLessThan(2e-5);
  });

  /** Largest error a worker may be off by late in the run: about one step's quantisation error of each codec. */
  const LATE_BOUND: Record<string, number> = { fp16: 1e-4, int8: 1e-4, int4: 3e-4, int3: 6e-4, int2: 2e-3, sign: 5e-3, 'topk:0.05': 0.05 };
  it.each(Object.keys(LATE_BOUND))('%s: error stays bounded over a long run, far below a delta-of-versions scheme', (spec) => {
    const enc = new WeightsEncoder(spec, N);
    const step = trajectory(3);
    const worker = new SimulatedWorker();
    const errors: number[] = [];
    // The scheme this replaces: compress the difference between consecutive server versions.
    const naive = new Float32Array(N);
    const prev = new Float32Array(N);
    let w: Float32Array = new Float32Array(N);
    for (let v = 0; v < 400; v++) {
      w = step();
      worker.receive(enc.frameFor(worker, worker.version, v, w));
      errors.push(maxAbsDiff(worker.weights, w));
      if (v === 0) naive.set(w);
      else {
        const d = decodeTensor(encodeTensor(w.map((x, i) => x - prev[i]!), parseCompression(spec)));
        for (let i = 0; i < N; i++) naive[i]! += d[i]!;
      }
      prev.set(w);
    }
    const early = Math.max(...errors.slice(50, 100));
    const late = Math.max(...errors.slice(350));
    // Bounded: the late error is no larger than the early one (with slack), i.e. nothing accumulates.
    expect(late).toBeLessThanOrEqual(early * 1.5 + 1e-7);
    // And small against the distance travelled (400 steps of ≈1e-3).
    expect(late).toBeLessThan(LATE_BOUND[spec]!);
    expect(maxAbsDiff(naive, w)).toBeGreaterThan(3 * late);
    expect(enc.stats.deltaFrames).toBe(399);
    expect(enc.stats.fullFrames).toBe(1);
  });

  it('top-k deltas cost 8 bytes per kept element plus a small header', () => {
    const enc = new WeightsEncoder('topk:0.01', N);
    const step = trajectory(4);
    const worker = new SimulatedWorker();
    worker.receive(enc.frameFor(worker, -1, 0, step()));
    const frame = enc.frameFor(worker, 0, 1, step());
    const msg = worker.receive(frame);
    expect(msg.encoding).toBe('delta');
    expect(msg.payload.codec === 'topk' && msg.payload.indices.length).toBe(30);
    expect(frame.byteLength).toBeGreaterThanOrEqual(8 * 30);
    expect(frame.byteLength).toBeLessThan(8 * 30 + 200);
  });

  it('workers with the same history share one encoded delta and one replica', () => {
    const enc = new WeightsEncoder('int8', N);
    const step = trajectory(5);
    const ws = [new SimulatedWorker(), new SimulatedWorker(), new SimulatedWorker()];
    for (let v = 0; v < 4; v++) {
      const w = step();
      const frames = ws.map((k) => enc.frameFor(k, k.version, v, w));
      expect(frames[1]).toBe(frames[0]);
      expect(frames[2]).toBe(frames[0]);
      ws.forEach((k, i) => k.receive(frames[i]!));
      expect(enc.replicas).toBe(1);
    }
    expect(maxAbsDiff(ws[0]!.weights, ws[2]!.weights)).toBe(0);
  });

  it('a worker that holds nothing or an unknown version gets full weights; inactive holders are forgotten', () => {
    const enc = new WeightsEncoder('fp16', N);
    const step = trajectory(6);
    const a = new SimulatedWorker();
    const gone = { state: 'active' };
    let w = step();
    a.receive(enc.frameFor(a, -1, 0, w));
    enc.frameFor(gone, -1, 0, w);
    w = step();
    expect(a.receive(enc.frameFor(a, 0, 1, w)).encoding).toBe('delta');
    // The caller's idea of the version disagrees with what we sent: no delta against a guess.
    const b = new SimulatedWorker();
    w = step();
    expect(b.receive(enc.frameFor(b, 1, 2, w)).encoding).toBe('full');
    expect(maxAbsDiff(b.weights, w)).toBe(0);
    expect(enc.replicas).toBe(3);
    gone.state = 'lost';
    w = step();
    enc.frameFor(a, 1, 3, w);
    expect(enc.replicas).toBe(2);
  });

  it('falls back to full weights when a delta does not fit the codec (fp16 beyond ±65504)', () => {
    const enc = new WeightsEncoder('fp16', N);
    const worker = new SimulatedWorker();
    worker.receive(enc.frameFor(worker, -1, 0, new Float32Array(N)));
    const jump = new Float32Array(N).fill(1e5);
    expect(worker.receive(enc.frameFor(worker, 0, 1, jump)).encoding).toBe('full');
    expect(enc.stats.fallbacks).toBe(1);
    expect(maxAbsDiff(worker.weights, jump)).toBe(0);
    const back = jump.map((x) => x + 0.5);
    expect(worker.receive(enc.frameFor(worker, 1, 2, back)).encoding).toBe('delta');
    expect(maxAbsDiff(worker.weights, back)).toBe(0);
  });

  it('refuses a compression it does not know', () => {
    expect(() => new WeightsEncoder('zip', N)).toThrow(expect.objectContaining({ code: 'TRAIN_ERR_BAD_COMPRESSION' }));
  });

  it('sends only the weights that train (frozen layers) to a holder that takes them and holds the frozen ones, in full to everyone else', () => {
    const layout = TrainableLayout.of(flatManifest(['frozen/kernel', 1000], ['head/kernel', N - 1000]), ['frozen'])!;
    const enc = new WeightsEncoder('none', N, layout);
    const next = trajectory(7);
    const w0 = next().slice();
    const packer = new SimulatedWorker();
    packer.layout = layout;
    const plain = new SimulatedWorker();
    // first frames: nothing held yet, so in full whatever the holder takes
    expect(packer.receive(enc.frameFor(packer, -1, 0, w0, true))).toMatchObject({ encoding: 'full' });
    plain.receive(enc.frameFor(plain, -1, 0, w0, false));
    // later versions move only the head, as the optimizer's mask does for frozen weights
    for (let v = 1; v <= 3; v++) {
      const w = next().slice();
      w.set(w0.subarray(0, 1000));
      const m = packer.receive(enc.frameFor(packer, v - 1, v, w, true));
      expect(m).toMatchObject({ encoding: 'full', layout: 'trainable' });
      expect(m.payload.length).toBe(N - 1000);
      expect(plain.receive(enc.frameFor(plain, v - 1, v, w, false))).not.toHaveProperty('layout');
      expect(Array.from(packer.weights)).toEqual(Array.from(w));
      expect(Array.from(plain.weights)).toEqual(Array.from(w));
    }
    expect(enc.stats).toMatchObject({ fullFrames: 5, packedFrames: 3 });
  });
});
