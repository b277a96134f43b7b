import * as tf from '@tensorflow/tfjs';
import { AUTO_ORDER, BACKEND_ENV } from './constants';
import { EngineError } from './engine-error';
import { registerTrainingGradients } from './batch-norm-gradient';
import { registerWasmTrainingKernels } from './wasm/register-wasm-training-kernels';
import type { WebGpuAdapterInfo } from './webgpu-device';
import { installWebGpu, mayHaveHardwareGpu } from './webgpu-device';

export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

export interface EngineInfo {
  backend: BackendName;
  requested: BackendName | 'auto';
  fallbacks: { backend: BackendName; reason: string }[];
  /** For wasm: whether the SIMD binary is in use (it is ~3× faster for convolutions). */
  simd?: boolean;
  /** For webgpu: the adapter that runs it. */
  adapter?: WebGpuAdapterInfo;
}

/** Every backend a user may ask for, 'auto' aside (the flag's choices come from here). */
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];
const BACKENDS: readonly string[] = BACKEND_NAMES;

function parseRequest(v: string | undefined, where: string): BackendName | 'auto' | undefined {
  if (v === undefined || v === '') return undefined;
  if (v === 'auto' || BACKENDS.includes(v)) return v as BackendName | 'auto';
  throw new EngineError('ENGINE_ERR_BAD_BACKEND', `${where} must be auto, ${BACKEND_NAMES.slice(0, -1).join(', ')} or ${BACKEND_NAMES.at(-1)}`, { value: v });
}

async function tryBackend(name: BackendName, requested: BackendName | 'auto', env: Record<string, string | undefined>): Promise<WebGpuAdapterInfo | undefined> {
  let adapter: WebGpuAdapterInfo | undefined;
  if (name === 'webgpu') {
    // `auto` takes a GPU only where a hardware one may be, and never a software adapter.
    if (requested === 'auto' && !mayHaveHardwareGpu(env)) throw new Error('no hardware Vulkan driver installed');
    adapter = await installWebGpu({ allowSoftware: requested === 'webgpu' });
    await import('@tensorflow/tfjs-backend-webgpu');
  } else if (name === 'tensorflow') {
    // Optional dependency: its install downloads libtensorflow, which is not possible everywhere.
    const pkg = '@tensorflow/tfjs-node';
    await import(/* @vite-ignore */ pkg);
  } else if (name === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    registerWasmTrainingKernels();
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tf.setBackend('${name}') returned false`);
  await tf.ready();
  return adapter;
}

/**
 * Picks and initialises the compute backend. `DTRAIN_BACKEND` in `env` overrides `backend`. A forced
 * backend that cannot load is an error (ENGINE_ERR_BACKEND_UNAVAILABLE); 'auto' falls back along
 * tensorflow → webgpu (a hardware GPU only) → wasm → cpu and records why each earlier one was skipped.
 */
export async function initEngine(
  opts: {
    backend?: BackendName | 'auto';
    env?: Record<string, string | undefined>;
    /**
     * False for processes that read tensors back synchronously (the server's evaluation, `dtrain
     * train`): a `webgpu` request then means "auto without WebGPU" there (the workers take the GPU).
     */
    webgpu?: boolean;
  } = {},
): Promise<EngineInfo> {
  const env = opts.env ?? process.env;
  registerTrainingGradients();
  let requested = parseRequest(env[BACKEND_ENV], BACKEND_ENV) ?? parseRequest(opts.backend, 'backend') ?? 'auto';
  if (opts.webgpu === false && requested === 'webgpu') requested = 'auto';
  const order = requested === 'auto' ? AUTO_ORDER.filter((b) => b !== 'webgpu' || opts.webgpu !== false) : [requested];
  const fallbacks: EngineInfo['fallbacks'] = [];
  for (const name of order) {
    try {
      const adapter = await tryBackend(name, requested, env);
      const info: EngineInfo = { backend: name, requested, fallbacks, ...(adapter ? { adapter } : {}) };
      if (name === 'wasm') info.simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
      return info;
    } catch (err) {
      const reason = err instanceof Error ? err.message.split('\n')[0] ?? err.message : String(err);
      if (requested !== 'auto') {
        throw new EngineError('ENGINE_ERR_BACKEND_UNAVAILABLE', `backend ${name} is unavailable: ${reason}`, { backend: name }, { cause: err });
      }
      fallbacks.push({ backend: name, reason });
    }
  }
  throw new EngineError('ENGINE_ERR_BACKEND_UNAVAILABLE', 'no backend could be initialised', { fallbacks });
}
