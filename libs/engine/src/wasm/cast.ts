import type { DataType, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { delegateToStock } from './wasm-memory';

interface RefCountingBackend {
  incRef(dataId: object): void;
}

/**
 * A same-dtype Cast shares memory instead of copying, as cpu does. TF.js's ReLU gradient is
 * dy · step(cast(x, 'float32')), so the stock wasm kernel copied every ReLU input once per step.
 * Casts that change dtype go to the stock kernel.
 */
export function cast(args: { inputs: { x: TensorInfo }; attrs: { dtype: DataType }; backend: RefCountingBackend }): TensorInfo {
  const { x } = args.inputs;
  if (x.dtype !== args.attrs.dtype || x.dtype === 'string') {
    return delegateToStock('Cast', args);
  }
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

export const castConfig: KernelConfig = {
  kernelName: 'Cast',
  backendName: 'wasm',
  kernelFunc: cast as unknown as KernelFunc,
};
