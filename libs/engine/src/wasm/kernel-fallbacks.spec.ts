import * as tf from '@tensorflow/tfjs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { initWasmAndCpu, randomValues, relativeError, valuesOn, KERNEL_TOLERANCE } from '../testing';
import { kernelFallbackNames, kernelFallbacks, recordFallback, resetKernelFallbacks } from './kernel-fallbacks';
import { simdOrFallback } from './simd-or-fallback';
import type { WasmBackendLike } from './wasm-memory';

/** dx of a 3×3 conv of a [2, 7, 7, 3] input to 4 channels, stride 1, by `pad`. */
function inputGradient(pad: 'same' | [[0, 0], [number, number], [number, number], [0, 0]]): () => tf.Tensor {
  const oh = pad === 'same' ? 7 : 7 + pad[1][0] + pad[1][1] - 2;
  const ow = pad === 'same' ? 7 : 7 + pad[2][0] + pad[2][1] - 2;
  const dy = randomValues(2 * oh * ow * 4, 1);
  const f = randomValues(3 * 3 * 3 * 4, 2);
  return () =>
    tf.engine().runKernel(
      'Conv2DBackpropInput',
      { dy: tf.tensor4d(dy, [2, oh, ow, 4]), filter: tf.tensor4d(f, [3, 3, 3, 4]) },
      { strides: 1, pad, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: [2, 7, 7, 3] } as unknown as tf.NamedAttrMap,
    ) as tf.Tensor;
}

describe('kernel fallback report', () => {
  beforeAll(initWasmAndCpu);
  beforeEach(resetKernelFallbacks);

  it('lists a configuration our kernel hands to the slower stock kernel, once, with how often', () => {
    // padding beyond the filter's reach (3 > 3 − 1): the forward-conv form would need negative padding
    const run = inputGradient([[0, 0], [3, 3], [0, 1], [0, 0]]);
    const got = valuesOn('wasm', run);
    valuesOn('wasm', run);
    expect(relativeError(got, valuesOn('cpu', run))).toBeLessThan(KERNEL_TOLERANCE);
    expect(kernelFallbacks()).toEqual([
      { kernel: 'Conv2DBackpropInput', reason: 'padding the forward-conv form cannot express: the stock scalar kernel', count: 2 },
    ]);
  });

  it('names each kernel once in the order first seen, whatever its reasons', () => {
    recordFallback('Sum', 'a');
    recordFallback('Add', 'b');
    recordFallback('Sum', 'c');
    expect(kernelFallbacks()).toHaveLength(3);
    expect(kernelFallbackNames()).toEqual(['Sum', 'Add']);
  });

  it('lists nothing for configurations our kernels cover or leave to the stock kernel by design', () => {
    valuesOn('wasm', inputGradient('same'));
    // a residual Add (same shapes) is the stock kernel's by design, not a fallback
    valuesOn('wasm', () => tf.add(tf.ones([2, 5, 5, 3]), tf.ones([2, 5, 5, 3])));
    expect(kernelFallbacks()).toEqual([]);
  });

  it('lists a SIMD path taken without our SIMD module, and nothing where it loaded', () => {
    tf.setBackend('wasm');
    const real = tf.backend() as unknown as WasmBackendLike;
    expect(simdOrFallback(real, 'MaxPoolGrad', 'wasm SIMD unavailable: JS 2×2/2 pool gradient')).toBeDefined();
    expect(kernelFallbacks()).toEqual([]);
    // a backend build whose memory we cannot reach (no asm.memory): our SIMD module cannot load
    const bare = { ...real, wasm: { ...real.wasm, asm: {} } } as WasmBackendLike;
    expect(simdOrFallback(bare, 'MaxPoolGrad', 'wasm SIMD unavailable: JS 2×2/2 pool gradient')).toBeUndefined();
    expect(kernelFallbacks()).toEqual([{ kernel: 'MaxPoolGrad', reason: 'wasm SIMD unavailable: JS 2×2/2 pool gradient', count: 1 }]);
  });

  it('keeps kernels and reasons apart, hands out copies, and forgets on reset', () => {
    recordFallback('A', 'x');
    recordFallback('A', 'y');
    recordFallback('B', 'x');
    recordFallback('A', 'x');
    const list = kernelFallbacks();
    expect(list).toEqual([
      { kernel: 'A', reason: 'x', count: 2 },
      { kernel: 'A', reason: 'y', count: 1 },
      { kernel: 'B', reason: 'x', count: 1 },
    ]);
    (list[0] as { count: number }).count = 99;
    expect(kernelFallbacks()[0]?.count).toBe(2);
    resetKernelFallbacks();
    expect(kernelFallbacks()).toEqual([]);
  });
});
