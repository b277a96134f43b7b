export type { BackendName } from './init-engine';
export { BACKEND_NAMES, initEngine } from './init-engine';
export { EngineError } from './engine-error';
export type { EngineErrorCode } from './engine-error';
export { readFloat32Into } from './read-into';
export { convReluPool, convReluPoolSupported } from './wasm/conv-relu-pool';
export { reluPool, reluPoolSupported } from './wasm/relu-pool';
export { describeAdapter } from './webgpu-device';
