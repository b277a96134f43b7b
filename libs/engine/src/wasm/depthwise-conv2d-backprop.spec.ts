import * as tf from '@tensorflow/tfjs';
import { createRng } from '@dtrain/common';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EngineError } from '../engine-error';
import { expectNoLeak, initWasmAndCpu, randomValues, relativeError, valuesOn, KERNEL_TOLERANCE } from '../testing';
import { kernelFallbacks, resetKernelFallbacks } from './kernel-fallbacks';

const TOL = KERNEL_TOLERANCE;

type Pad = 'valid' | 'same' | [[0, 0], [number, number], [number, number], [0, 0]];

interface Case {
  b: number;
  h: number;
  w: number;
  c: number;
  /** channel multiplier */
  m: number;
  k: number | [number, number];
  s: number | [number, number];
  pad: Pad;
}

const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);

const CASES: Case[] = [
  { b: 2, h: 9, w: 9, c: 3, m: 1, k: 3, s: 1, pad: 'same' },
  { b: 2, h: 9, w: 7, c: 4, m: 2, k: 3, s: 2, pad: 'same' },
  { b: 1, h: 11, w: 10, c: 5, m: 1, k: 5, s: 2, pad: 'valid' }, // batch 1, odd sizes, rows left unused by the stride
  { b: 3, h: 8, w: 9, c: 2, m: 2, k: 1, s: 1, pad: 'valid' }, // 1×1
  { b: 2, h: 9, w: 9, c: 4, m: 1, k: 1, s: 2, pad: 'same' },
  { b: 2, h: 10, w: 11, c: 3, m: 1, k: 3, s: [1, 2], pad: 'same' },
  { b: 2, h: 7, w: 12, c: 6, m: 2, k: 5, s: [1, 2], pad: 'valid' },
  { b: 1, h: 5, w: 5, c: 8, m: 1, k: 5, s: 1, pad: 'same' }, // filter as large as the image
  { b: 2, h: 9, w: 8, c: 3, m: 2, k: [3, 5], s: [2, 1], pad: 'same' }, // rectangular filter
  { b: 2, h: 9, w: 10, c: 2, m: 2, k: 3, s: 2, pad: [[0, 0], [1, 0], [2, 1], [0, 0]] }, // explicit padding
  { b: 4, h: 16, w: 16, c: 32, m: 1, k: 3, s: 1, pad: 'same' }, // a MobileNet block
  { b: 4, h: 16, w: 16, c: 32, m: 1, k: 3, s: 2, pad: 'same' }, // its downsampling variant
  { b: 2, h: 15, w: 15, c: 16, m: 2, k: 3, s: 2, pad: 'valid' },
];

/** Seeded random shapes on top of the chosen ones. */
function randomCases(n: number, seed: number): Case[] {
  const rng = createRng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)] as T;
  return Array.from({ length: n }, () => {
    const k = pick([1, 3, 5] as const);
    return {
      b: 1 + rng.int(3),
      h: k + rng.int(10),
      w: k + rng.int(10),
      c: 1 + rng.int(7),
      m: pick([1, 2] as const),
      k,
      s: pick([1, 2, [1, 2], [2, 1]] as (number | [number, number])[]),
      pad: pick(['same', 'valid'] as const),
    };
  });
}

const ALL = [...CASES, ...randomCases(8, 11)];

function outSize(n: number, k: number, s: number, pad: Pad, axis: 1 | 2): number {
  if (pad === 'same') return Math.ceil(n / s);
  if (pad === 'valid') return Math.ceil((n - k + 1) / s);
  const [lo, hi] = pad[axis];
  return Math.floor((n + lo + hi - k) / s) + 1;
}

function shapes(c: Case): { x: [number, number, number, number]; f: [number, number, number, number]; y: [number, number, number, number] } {
  const [kh, kw] = pair(c.k);
  const [sh, sw] = pair(c.s);
  return {
    x: [c.b, c.h, c.w, c.c],
    f: [kh, kw, c.c, c.m],
    y: [c.b, outSize(c.h, kh, sh, c.pad, 1), outSize(c.w, kw, sw, c.pad, 2), c.c * c.m],
  };
}

const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

/** dx or dW of Σ y·r (r random, so every output pixel's gradient differs), through tf.grads as training reaches it. */
function gradient(c: Case, which: 0 | 1): () => tf.Tensor {
  const sh = shapes(c);
  const x = randomValues(size(sh.x), 1);
  const f = randomValues(size(sh.f), 2);
  const r = randomValues(size(sh.y), 3);
  return () => {
    const loss = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad), tf.tensor4d(r, sh.y)));
    const grads = tf.grads(loss)([tf.tensor4d(x, sh.x), tf.tensor4d(f, sh.f)]);
    return grads[which] as tf.Tensor;
  };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('wasm depthwise conv2d gradient kernels vs cpu', () => {
  beforeAll(initWasmAndCpu);
  beforeEach(resetKernelFallbacks);

  it.each(ALL)('DepthwiseConv2dNativeBackpropInput (tf.grads) %o', (c) => {
    const got = valuesOn('wasm', gradient(c, 0));
    const want = valuesOn('cpu', gradient(c, 0));
    expect(got.length).toBe(size(shapes(c).x));
    expect(relativeError(got, want)).toBeLessThan(TOL);
    expect(kernelFallbacks()).toEqual([]);
  });

  it.each(ALL)('DepthwiseConv2dNativeBackpropFilter (tf.grads) %o', (c) => {
    const got = valuesOn('wasm', gradient(c, 1));
    const want = valuesOn('cpu', gradient(c, 1));
    expect(got.length).toBe(size(shapes(c).f));
    expect(relativeError(got, want)).toBeLessThan(TOL);
    expect(kernelFallbacks()).toEqual([]);
  });

  it('gives the same results called directly through runKernel (stride [1, 2], multiplier 2, explicit padding)', () => {
    const c: Case = { b: 2, h: 9, w: 11, c: 3, m: 2, k: 3, s: [1, 2], pad: [[0, 0], [2, 1], [0, 2], [0, 0]] };
    const sh = shapes(c);
    const x = randomValues(size(sh.x), 4);
    const f = randomValues(size(sh.f), 5);
    const dy = randomValues(size(sh.y), 6);
    const attrs = { strides: c.s, pad: c.pad, dilations: [1, 1], dimRoundingMode: undefined } as unknown as tf.NamedAttrMap;
    const input = (): tf.Tensor =>
      tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: tf.tensor4d(dy, sh.y), filter: tf.tensor4d(f, sh.f) }, { ...attrs, inputShape: sh.x }) as tf.Tensor;
    const filter = (): tf.Tensor =>
      tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: tf.tensor4d(x, sh.x), dy: tf.tensor4d(dy, sh.y) }, { ...attrs, filterShape: sh.f }) as tf.Tensor;
    expect(relativeError(valuesOn('wasm', input), valuesOn('cpu', input))).toBeLessThan(TOL);
    expect(relativeError(valuesOn('wasm', filter), valuesOn('cpu', filter))).toBeLessThan(TOL);
  });

  it('rejects dilation > 1 with ENGINE_ERR_UNSUPPORTED naming the kernel', () => {
    tf.setBackend('wasm');
    const attrs = { strides: 1, pad: 'same', dilations: [2, 2] } as unknown as tf.NamedAttrMap;
    const dy = tf.zeros([1, 5, 5, 2]);
    const byInput = thrown(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: tf.zeros([3, 3, 2, 1]) }, { ...attrs, inputShape: [1, 5, 5, 2] }));
    const byFilter = thrown(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: tf.zeros([1, 5, 5, 2]), dy }, { ...attrs, filterShape: [3, 3, 2, 1] }));
    for (const [err, name] of [
      [byInput, 'DepthwiseConv2dNativeBackpropInput'],
      [byFilter, 'DepthwiseConv2dNativeBackpropFilter'],
    ] as const) {
      expect(err).toBeInstanceOf(EngineError);
      expect((err as EngineError).code).toBe('ENGINE_ERR_UNSUPPORTED');
      expect((err as EngineError).message).toContain(name);
    }
  });

  it('trains a separable conv on wasm like on cpu (depthwise then pointwise)', () => {
    const x = randomValues(2 * 10 * 10 * 4, 7);
    const dwf = randomValues(3 * 3 * 4 * 2, 8);
    const pwf = randomValues(8 * 5, 9);
    const run = (which: number) => (): tf.Tensor => {
      const loss = (a: tf.Tensor, d: tf.Tensor, p: tf.Tensor): tf.Scalar =>
        tf.sum(tf.square(tf.separableConv2d(a as tf.Tensor4D, d as tf.Tensor4D, p as tf.Tensor4D, 2, 'same')));
      return tf.grads(loss)([tf.tensor4d(x, [2, 10, 10, 4]), tf.tensor4d(dwf, [3, 3, 4, 2]), tf.tensor4d(pwf, [1, 1, 8, 5])])[which] as tf.Tensor;
    };
    for (const which of [0, 1, 2]) expect(relativeError(valuesOn('wasm', run(which)), valuesOn('cpu', run(which))), `gradient ${which}`).toBeLessThan(TOL);
  });

  it('leaves no tensor or heap memory behind', () => {
    tf.setBackend('wasm');
    const step = gradient(CASES[1] as Case, 0);
    const both = (): void => {
      tf.tidy(() => {
        step();
        gradient(CASES[1] as Case, 1)();
      });
    };
    expectNoLeak(both, (actual, expected, what) => expect(actual, what).toBe(expected));
  });
});
