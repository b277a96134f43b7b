import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { recordFallback } from './kernel-fallbacks';

/**
 * The slice of tfjs-backend-wasm's BackendWasm that custom kernels use. Not part of its typed public
 * API, hence this narrow structural type (see node_modules/@tensorflow/tfjs-backend-wasm/dist/backend_wasm.js).
 */
export interface WasmBackendLike {
  /** `asm.memory` is the module's exported memory (emscripten), which our own SIMD module imports. */
  wasm: {
    HEAPF32: Float32Array;
    asm?: { memory?: object };
    /** emscripten's cwrap: a JS caller of an exported C function (the stock kernels bind theirs this way). */
    cwrap?: (name: string, ret: null, argTypes: string[]) => (...args: unknown[]) => void;
    /** Forgets a tensor id on the C++ side (runs its disposal callbacks, e.g. cached XNNPACK operators). */
    tfjs?: { disposeData(id: number): void };
  };
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number }; delete(dataId: object): boolean };
  /** With `memoryOffset`, a tensor over existing heap bytes (a view: free it with `dropView`, never `disposeData`). */
  makeOutput(shape: number[], dtype: 'float32', memoryOffset?: number): TensorInfo;
  disposeData(dataId: object): boolean;
}

/** Byte offset of a tensor's data in the wasm heap. */
export function heapOffset(backend: WasmBackendLike, info: TensorInfo): number {
  return backend.dataIdMap.get(info.dataId).memoryOffset;
}

/** A live Float32Array over a tensor's bytes in the wasm heap. Take it after the last allocation: growth detaches it. */
export function heapView(backend: WasmBackendLike, info: TensorInfo): Float32Array {
  const size = info.shape.reduce((a, b) => a * b, 1);
  const offset = backend.dataIdMap.get(info.dataId).memoryOffset;
  return new Float32Array(backend.wasm.HEAPF32.buffer, offset, size);
}

/** Runs another wasm kernel from inside a kernel, without going through the engine (no tracking, no copies). */
export function callWasmKernel(
  backend: WasmBackendLike,
  kernelName: string,
  inputs: Record<string, TensorInfo>,
  attrs: Record<string, unknown>,
): TensorInfo {
  const kernel = originalKernels.get(kernelName) ?? tf.getKernel(kernelName, 'wasm');
  if (!kernel) throw new Error(`wasm kernel ${kernelName} is not registered`);
  const out = kernel.kernelFunc({ inputs, attrs: attrs as tf.NamedAttrMap, backend: backend as unknown as tf.KernelBackend });
  return Array.isArray(out) ? (out[0] as TensorInfo) : out;
}

/** Stock kernels we replace, kept so replacements can fall back to them for cases they do not cover. */
export const originalKernels = new Map<string, tf.KernelConfig>();

/**
 * Runs the stock kernel we replaced with the caller's own arguments, as a fallback: a configuration
 * the replacement was meant for but does not cover, where the stock kernel is slower. Recorded
 * (`kernelFallbacks()`) under `reason`, a constant string.
 */
export function runStock(kernelName: string, args: unknown, reason: string): TensorInfo {
  recordFallback(kernelName, reason);
  return delegateToStock(kernelName, args);
}

/**
 * Runs the stock kernel we replaced for a configuration the replacement leaves to it by design
 * (e.g. an Add that is not a bias row): what ran before we replaced it, as fast, so not a fallback.
 */
export function delegateToStock(kernelName: string, args: unknown): TensorInfo {
  const stock = originalKernels.get(kernelName);
  if (!stock) throw new Error(`stock wasm ${kernelName} is not registered`);
  return stock.kernelFunc(args as never) as TensorInfo;
}

export function freeAll(backend: WasmBackendLike, ...infos: TensorInfo[]): void {
  for (const i of infos) backend.disposeData(i.dataId);
}

/** A tensor over `floats` of the heap at byte `offset`, for handing part of a buffer to a stock kernel. */
export function makeView(backend: WasmBackendLike, offset: number, shape: number[]): TensorInfo {
  return backend.makeOutput(shape, 'float32', offset);
}

/** Forgets a view made by `makeView` without freeing the memory it lies on (its owner does that). */
export function dropView(backend: WasmBackendLike, view: TensorInfo): void {
  const data = backend.dataIdMap.get(view.dataId);
  backend.wasm.tfjs?.disposeData(data.id);
  backend.dataIdMap.delete(view.dataId);
}
