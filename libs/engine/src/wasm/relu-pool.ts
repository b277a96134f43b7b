import * as tf from '@tensorflow/tfjs';
import type { GradConfig, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { EngineError } from '../engine-error';
import { fusedKernelAvailable, simdForFusedKernel } from './fused-kernel-support';
import type { SimdKernels } from './simd/simd-kernels';
import type { WasmBackendLike } from './wasm-memory';
import { freeAll, heapOffset, heapView } from './wasm-memory';

/** Kernel: y = maxPool2×2/2(relu(z)), one pass instead of two. */
export const RELU_POOL = 'DtrainReluPool';
/** Kernel: its gradient with respect to z, one pass instead of MaxPoolGrad, the ReLU mask and the masked product. */
export const RELU_POOL_GRAD = 'DtrainReluPoolGrad';

interface Geometry {
  B: number;
  H: number;
  W: number;
  C: number;
  PH: number;
  PW: number;
}

/** NHWC float32 with channels a multiple of 4 and at least one full 2×2 window. */
function geometry(shape: readonly number[]): Geometry | undefined {
  if (shape.length !== 4) return undefined;
  const [B, H, W, C] = shape as [number, number, number, number];
  const PH = Math.floor(H / 2);
  const PW = Math.floor(W / 2);
  if (B < 1 || C < 4 || C % 4 !== 0 || PH < 1 || PW < 1) return undefined;
  return { B, H, W, C, PH, PW };
}

function checked(backend: WasmBackendLike, z: TensorInfo): { g: Geometry; simd: SimdKernels } {
  const g = z.dtype === 'float32' ? geometry(z.shape) : undefined;
  if (!g) throw new EngineError('ENGINE_ERR_UNSUPPORTED', `${RELU_POOL} covers float32 [B, H ≥ 2, W ≥ 2, 4k]`, { shape: [...z.shape], dtype: z.dtype });
  return { g, simd: simdForFusedKernel(backend, RELU_POOL) };
}

/** Whether `reluPool` runs here: wasm with our SIMD kernels and a covered shape; DTRAIN_FUSE=0 turns it off. */
export function reluPoolSupported(shape: readonly number[]): boolean {
  return geometry(shape) !== undefined && fusedKernelAvailable(RELU_POOL);
}

/**
 * maxPool(relu(z), 2, 2, 'valid') as one op. After a conv whose bias is added inside the conv (TF.js
 * keeps conv + bias fused while training, only a ReLU it unfuses), this replaces ReLU, MaxPool,
 * MaxPoolGrad, ReLU's mask and the masked product: four tensors of the conv's size fewer per step
 * (2 MB each for conv2 of the model of record at batch 64). Same results as the two ops (first-max ties).
 */
export function reluPool(z: tf.Tensor4D): tf.Tensor4D {
  return tf.engine().runKernel(RELU_POOL, { z }, {}) as tf.Tensor4D;
}

/** One zero bias per channel: the pool-bias-relu kernels with nothing added. */
function zeros(backend: WasmBackendLike, c: number): TensorInfo {
  const t = backend.makeOutput([c], 'float32');
  heapView(backend, t).fill(0);
  return t;
}

function forward(args: { inputs: { z: TensorInfo }; backend: WasmBackendLike }): TensorInfo {
  const { inputs, backend } = args;
  const { g, simd } = checked(backend, inputs.z);
  const y = backend.makeOutput([g.B, g.PH, g.PW, g.C], 'float32');
  const zero = zeros(backend, g.C);
  simd.poolbiasrelu(heapOffset(backend, inputs.z), heapOffset(backend, zero), heapOffset(backend, y), g.B, g.H, g.W, g.C, g.PH, g.PW);
  freeAll(backend, zero);
  return y;
}

function backward(args: { inputs: { z: TensorInfo; dy: TensorInfo }; backend: WasmBackendLike }): TensorInfo {
  const { inputs, backend } = args;
  const { g, simd } = checked(backend, inputs.z);
  const dz = backend.makeOutput([g.B, g.H, g.W, g.C], 'float32');
  const zero = zeros(backend, g.C);
  // cells outside every window (odd H or W) are never written
  if (g.H !== 2 * g.PH || g.W !== 2 * g.PW) heapView(backend, dz).fill(0);
  simd.poolbiasrelugrad(heapOffset(backend, inputs.z), heapOffset(backend, zero), heapOffset(backend, inputs.dy), heapOffset(backend, dz), g.B, g.H, g.W, g.C, g.PH, g.PW);
  freeAll(backend, zero);
  return dz;
}

export const reluPoolConfig: KernelConfig = {
  kernelName: RELU_POOL,
  backendName: 'wasm',
  kernelFunc: forward as unknown as KernelFunc,
};

export const reluPoolGradKernelConfig: KernelConfig = {
  kernelName: RELU_POOL_GRAD,
  backendName: 'wasm',
  kernelFunc: backward as unknown as KernelFunc,
};

export const reluPoolGradConfig: GradConfig = {
  kernelName: RELU_POOL,
  inputsToSave: ['z'],
  gradFunc: (dy, saved) => {
    const [z] = saved as [tf.Tensor4D];
    return { z: () => tf.engine().runKernel(RELU_POOL_GRAD, { z, dy: dy as tf.Tensor4D }, {}) as tf.Tensor4D };
  },
};
