import * as tf from '@tensorflow/tfjs';
import type { GradConfig, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { EngineError } from '../engine-error';
import { fusedKernelAvailable, simdForFusedKernel } from './fused-kernel-support';
import type { WasmBackendLike } from './wasm-memory';
import { freeAll, heapOffset, heapView } from './wasm-memory';

/** Kernel: y = maxPool2×2/2(relu(conv2d(x, filter) + bias)), one kernel instead of four. */
export const CONV_RELU_POOL = 'DtrainConvReluPool';
/** Kernel: that block's filter gradient (`output: 'filter'`) or its pre-activation gradient (`output: 'dz'`). */
export const CONV_RELU_POOL_BACKPROP = 'DtrainConvReluPoolBackprop';

/**
 * Floats of conv output a pass keeps in cache (256 KB: 3 images of conv1, 26×26×32): the conv writes
 * a pass, the pool (or its gradient) reads it back at once, and only the pooled result reaches memory.
 */
export const CONV_RELU_POOL_PASS_FLOATS = 65536;

interface Geometry {
  B: number;
  H: number;
  W: number;
  CO: number;
  /** conv output */
  OH: number;
  OW: number;
  /** pool output */
  PH: number;
  PW: number;
  /** images per pass */
  n: number;
}

/**
 * The block this fusion covers: a single-channel NHWC input, a 3×3 filter with output channels a
 * multiple of 8, stride 1, no padding, then a 2×2 pool of stride 2 (conv1 and pool1 of the model of
 * record). Undefined for anything else.
 */
function geometry(xShape: readonly number[], filterShape: readonly number[]): Geometry | undefined {
  if (xShape.length !== 4 || filterShape.length !== 4) return undefined;
  const [B, H, W, C] = xShape as [number, number, number, number];
  const [KH, KW, CI, CO] = filterShape as [number, number, number, number];
  if (C !== 1 || CI !== 1 || KH !== 3 || KW !== 3 || CO <= 0 || CO % 8 !== 0 || B < 1) return undefined;
  const OH = H - 2;
  const OW = W - 2;
  const PH = Math.floor(OH / 2);
  const PW = Math.floor(OW / 2);
  if (PH < 1 || PW < 1) return undefined;
  const n = Math.max(1, Math.min(B, Math.floor(CONV_RELU_POOL_PASS_FLOATS / (OH * OW * CO))));
  return { B, H, W, CO, OH, OW, PH, PW, n };
}

function checkedGeometry(x: TensorInfo, filter: TensorInfo, bias: TensorInfo): Geometry {
  const g = geometry(x.shape, filter.shape);
  if (!g || bias.shape.length !== 1 || bias.shape[0] !== g.CO) {
    throw new EngineError('ENGINE_ERR_UNSUPPORTED', `${CONV_RELU_POOL} covers x [B, H, W, 1], filter [3, 3, 1, 8k], bias [8k]`, {
      x: [...x.shape],
      filter: [...filter.shape],
      bias: [...bias.shape],
    });
  }
  return g;
}

/**
 * Whether `convReluPool` runs here for a conv of these shapes and attributes: the active backend is
 * wasm with our SIMD kernels, and the conv is the covered block's (stride 1, valid, the shapes above). DTRAIN_FUSE=0 in the environment turns it off (the unfused ops run), for
 * measurements and for ruling the fusion out.
 */
export function convReluPoolSupported(
  xShape: readonly number[],
  filterShape: readonly number[],
  conv: { strides: readonly [number, number]; pad: 'valid' | 'same' } = { strides: [1, 1], pad: 'valid' },
): boolean {
  const unitValid = conv.pad === 'valid' && conv.strides[0] === 1 && conv.strides[1] === 1;
  return unitValid && geometry(xShape, filterShape) !== undefined && fusedKernelAvailable(CONV_RELU_POOL);
}

/**
 * maxPool(relu(conv2d(x, filter, 1, 'valid') + bias), 2, 2, 'valid') as one op with its own gradient.
 * Unfused, training writes and re-reads six tensors of the conv's full size per step (conv, + bias,
 * ReLU, pool gradient, ReLU mask, masked gradient: 5.5 MB each for conv1 at batch 64); fused, the conv
 * output of a few images at a time stays in cache and only the pooled quarter is stored. The gradient
 * recomputes the conv pass by pass (as cheap as reading it back) and feeds the masked, routed gradient
 * straight into the filter-gradient kernel. Same results as the unfused ops (same conv kernel, values
 * compared after the bias, first-max ties), up to the order of the bias gradient's sum.
 */
export function convReluPool(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D): tf.Tensor4D {
  return tf.engine().runKernel(CONV_RELU_POOL, { x, filter, bias }, {}) as tf.Tensor4D;
}

function forward(args: { inputs: { x: TensorInfo; filter: TensorInfo; bias: TensorInfo }; backend: WasmBackendLike }): TensorInfo {
  const { inputs, backend } = args;
  const g = checkedGeometry(inputs.x, inputs.filter, inputs.bias);
  const simd = simdForFusedKernel(backend, CONV_RELU_POOL);
  const y = backend.makeOutput([g.B, g.PH, g.PW, g.CO], 'float32');
  const z = backend.makeOutput([g.n, g.OH, g.OW, g.CO], 'float32');
  const [xOff, wOff, bOff, yOff, zOff] = [inputs.x, inputs.filter, inputs.bias, y, z].map((t) => heapOffset(backend, t)) as [number, number, number, number, number];
  for (let b0 = 0; b0 < g.B; b0 += g.n) {
    const n = Math.min(g.n, g.B - b0);
    simd.conv1ch(xOff + 4 * b0 * g.H * g.W, wOff, zOff, n, g.H, g.W, g.OH, g.OW, g.CO, 3, 3);
    simd.poolbiasrelu(zOff, bOff, yOff + 4 * b0 * g.PH * g.PW * g.CO, n, g.OH, g.OW, g.CO, g.PH, g.PW);
  }
  freeAll(backend, z);
  return y;
}

function backprop(args: {
  inputs: { x: TensorInfo; filter: TensorInfo; bias: TensorInfo; dy: TensorInfo };
  backend: WasmBackendLike;
  attrs: { output: 'filter' | 'dz' };
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const g = checkedGeometry(inputs.x, inputs.filter, inputs.bias);
  const simd = simdForFusedKernel(backend, CONV_RELU_POOL);
  const wantDz = attrs.output === 'dz';
  const out = backend.makeOutput(wantDz ? [g.B, g.OH, g.OW, g.CO] : [3, 3, 1, g.CO], 'float32');
  const z = backend.makeOutput([g.n, g.OH, g.OW, g.CO], 'float32');
  const dzPass = wantDz ? undefined : backend.makeOutput([g.n, g.OH, g.OW, g.CO], 'float32');
  // The filter gradient accumulates; cells outside every window (odd conv sizes) are never written.
  const ragged = g.OH !== 2 * g.PH || g.OW !== 2 * g.PW;
  if (!wantDz || ragged) heapView(backend, out).fill(0);
  if (dzPass && ragged) heapView(backend, dzPass).fill(0);
  const [xOff, wOff, bOff, dyOff, outOff, zOff] = [inputs.x, inputs.filter, inputs.bias, inputs.dy, out, z].map((t) => heapOffset(backend, t)) as [number, number, number, number, number, number];
  const passOff = dzPass ? heapOffset(backend, dzPass) : 0;
  for (let b0 = 0; b0 < g.B; b0 += g.n) {
    const n = Math.min(g.n, g.B - b0);
    const xb = xOff + 4 * b0 * g.H * g.W;
    simd.conv1ch(xb, wOff, zOff, n, g.H, g.W, g.OH, g.OW, g.CO, 3, 3);
    const dz = dzPass ? passOff : outOff + 4 * b0 * g.OH * g.OW * g.CO;
    simd.poolbiasrelugrad(zOff, bOff, dyOff + 4 * b0 * g.PH * g.PW * g.CO, dz, n, g.OH, g.OW, g.CO, g.PH, g.PW);
    if (dzPass) simd.filtergrad1ch(xb, passOff, outOff, n, g.H, g.W, g.OH, g.OW, g.CO, 3);
  }
  freeAll(backend, z, ...(dzPass ? [dzPass] : []));
  return out;
}

export const convReluPoolConfig: KernelConfig = {
  kernelName: CONV_RELU_POOL,
  backendName: 'wasm',
  kernelFunc: forward as unknown as KernelFunc,
};

export const convReluPoolBackpropConfig: KernelConfig = {
  kernelName: CONV_RELU_POOL_BACKPROP,
  backendName: 'wasm',
  kernelFunc: backprop as unknown as KernelFunc,
};

/**
 * Each input's gradient is a thunk, and TF.js calls only those on the path to what is being
 * differentiated: the first layer's input gradient (x is data) is never computed.
 */
export const convReluPoolGradConfig: GradConfig = {
  kernelName: CONV_RELU_POOL,
  inputsToSave: ['x', 'filter', 'bias'],
  outputsToSave: [true],
  gradFunc: (dy, saved) => {
    const [x, filter, bias, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.Tensor4D];
    const grad = dy as tf.Tensor4D;
    const run = (output: 'filter' | 'dz'): tf.Tensor4D => tf.engine().runKernel(CONV_RELU_POOL_BACKPROP, { x, filter, bias, dy: grad }, { output }) as tf.Tensor4D;
    return {
      x: () => tf.conv2dTranspose(run('dz'), filter, x.shape, 1, 'valid'),
      filter: () => run('filter'),
      // y > 0 exactly where the window's maximum passed the ReLU, and that is where dy flowed
      bias: () => tf.sum(tf.mul(grad, tf.step(y)), [0, 1, 2]),
    };
  },
};
