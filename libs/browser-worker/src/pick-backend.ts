import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerTrainingGradients, registerWasmTrainingKernels, wasmKernelMode } from '@dtrain/engine';
import { WORKER_ROUTES } from '@dtrain/protocol';

/** The browser backends a tab tries, fastest first; the first that initialises trains. */
export const BROWSER_BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BrowserBackend = (typeof BROWSER_BACKENDS)[number];

export interface PickedBackend {
  backend: BrowserBackend;
  /** What runs it: the GPU's renderer or adapter, or for wasm which of our kernels ('simd', 'fma', 'js'). */
  detail: string;
  /** Backends tried before it, and why each was passed over. */
  skipped: { backend: BrowserBackend; reason: string }[];
}

/** Renderers and adapters that are a CPU pretending to be a GPU: wasm beats them by far (measured: ~33 samples/s on SwiftShader WebGL). */
const SOFTWARE_GPU = /swiftshader|llvmpipe|lavapipe|software|basic render/i;

function webglRenderer(): string {
  const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGLRenderingContext } }).gpgpu?.gl;
  if (!gl) return 'unknown';
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? 'unknown');
}

async function webgpuAdapter(): Promise<string> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ isFallbackAdapter?: boolean; info?: Record<string, string> } | null> } }).gpu;
  const adapter = await gpu?.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter');
  const info = adapter.info ?? {};
  const name = [info['vendor'], info['architecture'], info['description']].filter(Boolean).join(' ') || 'unknown';
  return adapter.isFallbackAdapter ? `${name} (fallback adapter, software)` : name;
}

/** Initialises `name` and says what runs it; throws when it cannot, or when it is a software GPU and `allowSoftware` is false. */
async function tryBackend(name: BrowserBackend, allowSoftware: boolean): Promise<string> {
  let detail: string = name;
  if (name === 'webgpu') {
    detail = await webgpuAdapter();
    if (!allowSoftware && SOFTWARE_GPU.test(detail)) throw new Error(`software adapter: ${detail}`);
  }
  if (name === 'wasm') {
    // The binaries come from this server (the page's CSP allows nothing else); no threads: the page
    // is not cross-origin isolated, so the SIMD build runs.
    setWasmPaths(`${WORKER_ROUTES.wasm}/`);
    registerWasmTrainingKernels();
  }
  if (!(await tf.setBackend(name))) throw new Error('did not initialise');
  await tf.ready();
  if (name === 'webgl') {
    detail = webglRenderer();
    if (!allowSoftware && SOFTWARE_GPU.test(detail)) throw new Error(`software renderer: ${detail}`);
  }
  if (name === 'wasm') detail = `our kernels: ${wasmKernelMode() ?? 'none'}`;
  return detail;
}

/**
 * Picks the first backend of `order` that initialises here and is worth it: WebGPU needs an adapter
 * and WebGL a context, each on a real GPU (a software one is slower than wasm, so it is passed over
 * unless it is the only one asked for); wasm needs WebAssembly; cpu always works. `#backend=` in the
 * page URL narrows the order to one.
 */
export async function pickBackend(order: readonly BrowserBackend[] = BROWSER_BACKENDS): Promise<PickedBackend> {
  const skipped: PickedBackend['skipped'] = [];
  registerTrainingGradients();
  for (const name of order) {
    try {
      const detail = await tryBackend(name, order.length === 1);
      return { backend: name, detail, skipped };
    } catch (err) {
      skipped.push({ backend: name, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  throw new Error(`none of ${order.join(', ')} initialised in this browser: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`);
}
