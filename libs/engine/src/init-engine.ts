import * as tf from '@tensorflow/tfjs';
import { AUTO_ORDER, BACKEND_ENV } from './constants';
import { EngineError } from './engine-error';
import { registerWasmTrainingKernels } from './wasm/register-wasm-training-kernels';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface EngineInfo {
  backend: BackendName;
  requested: BackendName | 'auto';
  fallbacks: { backend: BackendName; reason: string }[];
  /** For wasm: whether the SIMD binary is in use (it is ~3× faster for convolutions). */
  simd?: boolean;
}

const BACKENDS: readonly string[] = ['tensorflow', 'wasm', 'cpu'];

function parseRequest(v: string | undefined, where: string): BackendName | 'auto' | undefined {
  if (v === undefined || v === '') return undefined;
  if (v === 'auto' || BACKENDS.includes(v)) return v as BackendName | 'auto';
  throw new EngineError('ENGINE_ERR_BAD_BACKEND', `${where} must be auto, tensorflow, wasm or cpu`, { value: v });
}

async function tryBackend(name: BackendName): Promise<void> {
  if (name === 'tensorflow') {
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
}

/**
 * Picks and initialises the compute backend. `DTRAIN_BACKEND` in `env` overrides `backend`. A forced
 * backend that cannot load is an error (ENGINE_ERR_BACKEND_UNAVAILABLE); 'auto' falls back along
 * tensorflow → wasm → cpu and records why each earlier one was skipped.
 */
export async function initEngine(opts: { backend?: BackendName | 'auto'; env?: Record<string, string | undefined> } = {}): Promise<EngineInfo> {
  const env = opts.env ?? process.env;
  const requested = parseRequest(env[BACKEND_ENV], BACKEND_ENV) ?? parseRequest(opts.backend, 'backend') ?? 'auto';
  const order = requested === 'auto' ? AUTO_ORDER : [requested];
  const fallbacks: EngineInfo['fallbacks'] = [];
  for (const name of order) {
    try {
      await tryBackend(name);
      const info: EngineInfo = { backend: name, requested, fallbacks };
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
