export type { BackendName, EngineInfo } from './init-engine';
export { initEngine } from './init-engine';
export { EngineError } from './engine-error';
export type { EngineErrorCode } from './engine-error';
export { registerWasmTrainingKernels } from './wasm/register-wasm-training-kernels';
export { readFloat32Into } from './read-into';
export { convReluPool, convReluPoolSupported } from './wasm/conv-relu-pool';
export { reluPool, reluPoolSupported } from './wasm/relu-pool';
