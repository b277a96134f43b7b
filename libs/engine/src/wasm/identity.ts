import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { delegateToStock } from './wasm-memory';

interface RefCountingBackend {
  incRef(dataId: object): void;
}

/**
 * Identity that shares memory (a reference-count bump), as the cpu backend does. The stock wasm
 * kernel copies, and TF.js clones every tensor it saves for the backward pass through Identity
 * (engine.saveTensorsForBackwardMode), which cost ~3 ms of memcpy per step of the model of record.
 * Sharing is safe because tensor memory is immutable: variables swap their dataId on assign.
 */
export function identity(args: { inputs: { x: TensorInfo }; backend: RefCountingBackend }): TensorInfo {
  const { x } = args.inputs;
  if (x.dtype === 'string') {
    return delegateToStock('Identity', args);
  }
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

export const identityConfig: KernelConfig = {
  kernelName: 'Identity',
  backendName: 'wasm',
  kernelFunc: identity as unknown as KernelFunc,
};
