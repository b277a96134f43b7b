import { TRAINING_SIMD_BYTES } from './simd-bytes';

/** The slice of the WebAssembly JS API we use (the project's TS lib settings do not declare it). */
interface WasmApi {
  Memory: new (d: { initial: number }) => { buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}

const PAGE = 65536;

/** Rounds a byte offset up to the 16 bytes a v128 load wants. */
export const align16 = (x: number): number => (x + 15) & ~15;

/**
 * One of this lib's SIMD modules (src/simd/NAME.wat) on a fresh memory of at least `bytes` bytes,
 * which never grows (so views into it stay valid). Undefined where wasm SIMD does not compile or
 * the memory cannot be had: callers keep their JS loops.
 */
export function instantiateSimd<E>(name: string, bytes: number, has: (keyof E)[]): { exports: E; buffer: ArrayBuffer } | undefined {
  const b64 = TRAINING_SIMD_BYTES[name];
  const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (!b64 || !wasm) return undefined;
  try {
    const memory = new wasm.Memory({ initial: Math.max(1, Math.ceil(bytes / PAGE)) });
    const code = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const exports = new wasm.Instance(new wasm.Module(code), { env: { mem: memory } }).exports as E;
    if (!has.every((k) => typeof exports[k] === 'function')) return undefined;
    return { exports, buffer: memory.buffer };
  } catch {
    return undefined;
  }
}
