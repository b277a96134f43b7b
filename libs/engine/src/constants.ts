import type { BackendName } from './init-engine';

/**
 * Order 'auto' tries: native TensorFlow when installed; a hardware GPU through WebGPU (Dawn) when one
 * is there; wasm is always shippable; cpu always works.
 */
export const AUTO_ORDER: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

/** Environment variable that forces a backend (same values as the `backend` option). */
export const BACKEND_ENV = 'DTRAIN_BACKEND';
