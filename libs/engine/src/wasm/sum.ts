import { util } from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { WasmBackendLike } from './wasm-memory';
import { heapView, originalKernels } from './wasm-memory';

interface Attrs {
  axis: number | number[];
  keepDims: boolean;
}

/**
 * Sum over leading axes (bias gradients: reduce [N,H,W,C] over N,H,W) as a JS column sum. The stock
 * kernel transposes the reduced axes to the end first, which costs more than the sum itself.
 * Every other reduction goes to the stock kernel.
 */
export function sum(args: { inputs: { x: TensorInfo }; backend: WasmBackendLike; attrs: Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const rank = x.shape.length;
  const axes = util.parseAxisParam(attrs.axis, x.shape).sort((p, q) => p - q);
  const leading = axes.length > 0 && axes.length < rank && axes.every((ax, i) => ax === i);
  if (!leading || x.dtype !== 'float32') {
    const stock = originalKernels.get('Sum');
    if (!stock) throw new Error('stock wasm Sum is not registered');
    return stock.kernelFunc(args as never) as TensorInfo;
  }
  const outer = x.shape.slice(0, axes.length).reduce((p, q) => p * q, 1);
  const keptShape = x.shape.slice(axes.length);
  const inner = keptShape.reduce((p, q) => p * q, 1);
  const outShape = attrs.keepDims ? [...axes.map(() => 1), ...keptShape] : keptShape;
  const out = backend.makeOutput(outShape, 'float32');
  const xs = heapView(backend, x);
  const os = heapView(backend, out);
  // Accumulate in float64 scratch: a long float32 running sum drifts more than the cpu backend's.
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * inner;
    for (let i = 0; i < inner; i++) acc[i] = (acc[i] as number) + (xs[base + i] as number);
  }
  os.set(acc);
  return out;
}

export const sumConfig: KernelConfig = {
  kernelName: 'Sum',
  backendName: 'wasm',
  kernelFunc: sum as unknown as KernelFunc,
};
