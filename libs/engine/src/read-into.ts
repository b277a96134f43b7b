import type * as tf from '@tensorflow/tfjs';
import * as tfc from '@tensorflow/tfjs';
import type { WasmBackendLike } from './wasm/wasm-memory';

function wasmHeap(t: tf.Tensor): Float32Array | undefined {
  const backend = tfc.engine().backend as unknown as Partial<WasmBackendLike>;
  if (tfc.getBackend() !== 'wasm' || !backend.wasm || !backend.dataIdMap) return undefined;
  const offset = backend.dataIdMap.get(t.dataId).memoryOffset;
  return new Float32Array(backend.wasm.HEAPF32.buffer, offset, t.size);
}

/**
 * Copies a float32 tensor's values into `out` at `offset` with one copy: straight out of the wasm
 * heap on the wasm backend (dataSync would allocate an intermediate array), via dataSync elsewhere.
 */
export function readFloat32Into(t: tf.Tensor, out: Float32Array, offset: number): void {
  if (t.dtype !== 'float32') throw new TypeError(`readFloat32Into needs float32, got ${t.dtype}`);
  const heap = wasmHeap(t);
  out.set(heap ?? (t.dataSync() as Float32Array), offset);
}
