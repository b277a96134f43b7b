import { SIMD_BYTES } from './simd-bytes';

/** Exports of our SIMD module; pointers are byte offsets into the TF.js wasm heap. */
export interface SimdKernels {
  pool2x2grad(xs: number, ds: number, out: number, B: number, H: number, W: number, C: number, OH: number, OW: number): void;
}

/** The slice of the WebAssembly JS API we use (the project's TS lib settings do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}
/** A WebAssembly.Memory, opaque here: we only hand it to our module as its import. */
export type WasmMemory = object;

/** One instance per wasm memory (there is one per backend); undefined = cannot run here, use JS. */
const instances = new WeakMap<WasmMemory, SimdKernels | undefined>();

/**
 * Our hand-written SIMD kernels, instantiated on the TF.js wasm backend's own memory so they read
 * and write tensors where they lie. Undefined when that memory is not reachable (a different build
 * of the backend) or the engine lacks wasm SIMD; callers then use their JS path.
 */
export function simdKernels(memory: WasmMemory | undefined): SimdKernels | undefined {
  if (!memory) return undefined;
  if (instances.has(memory)) return instances.get(memory);
  let kernels: SimdKernels | undefined;
  try {
    const bytes = Buffer.from(SIMD_BYTES['max-pool-grad'] ?? '', 'base64');
    // Synchronous compile is fine for a module of a few hundred bytes.
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const instance = new wasm.Instance(new wasm.Module(bytes), { env: { memory } });
    kernels = instance.exports as unknown as SimdKernels;
  } catch {
    kernels = undefined;
  }
  instances.set(memory, kernels);
  return kernels;
}
