import { backend_util } from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { WasmBackendLike } from './wasm-memory';
import { heapOffset, heapView } from './wasm-memory';
import { simdOrFallback } from './simd-or-fallback';

interface Attrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * Routes each dy to the first maximum of its window (row-major, strict '>' — the same tie rule as
 * the cpu backend, which matters after ReLU where all-zero windows are common). The stock wasm
 * kernel took ~31 ms per training step of the model of record, JS loops over the heap ~7 ms; 2×2/2
 * pools with channels a multiple of 4 run in our wasm SIMD module (simd/max-pool-grad.wat).
 */
export function maxPoolGrad(args: { inputs: { dy: TensorInfo; input: TensorInfo }; backend: WasmBackendLike; attrs: Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, input } = inputs;
  const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { strideHeight: SH, strideWidth: SW, effectiveFilterHeight: FH, effectiveFilterWidth: FW } = info;
  const PT = info.padInfo.top;
  const PL = info.padInfo.left;
  const dx = backend.makeOutput([...input.shape], 'float32');
  const xs = heapView(backend, input);
  const ds = heapView(backend, dy);
  const out = heapView(backend, dx);
  if (FH === 2 && FW === 2 && SH === 2 && SW === 2 && PT === 0 && PL === 0 && 2 * OH <= H && 2 * OW <= W) {
    const simd = C % 4 === 0 ? simdOrFallback(backend, 'MaxPoolGrad', 'wasm SIMD unavailable: JS 2×2/2 pool gradient') : undefined;
    if (simd) {
      // Odd sizes leave the last row/column outside every window: their gradient is zero.
      if (H !== 2 * OH || W !== 2 * OW) out.fill(0);
      simd.pool2x2grad(heapOffset(backend, input), heapOffset(backend, dy), heapOffset(backend, dx), B, H, W, C, OH, OW);
    } else pool2x2Grad(xs, ds, out, B, H, W, C, OH, OW);
    return dx;
  }
  out.fill(0);
  // Per output pixel, scan the window position by position over contiguous channel runs.
  const best = new Float32Array(C);
  const at = new Int32Array(C);
  for (let b = 0; b < B; b++) {
    const bBase = b * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = Math.max(0, oh * SH - PT);
      const h1 = Math.min(H, oh * SH - PT + FH);
      for (let ow = 0; ow < OW; ow++) {
        const w0 = Math.max(0, ow * SW - PL);
        const w1 = Math.min(W, ow * SW - PL + FW);
        best.fill(-Infinity);
        at.fill(-1);
        for (let h = h0; h < h1; h++) {
          for (let w = w0; w < w1; w++) {
            const base = bBase + (h * W + w) * C;
            for (let c = 0; c < C; c++) {
              const v = xs[base + c] as number;
              if (v > (best[c] as number)) {
                best[c] = v;
                at[c] = base + c;
              }
            }
          }
        }
        const dyBase = ((b * OH + oh) * OW + ow) * C;
        for (let c = 0; c < C; c++) {
          const i = at[c] as number;
          if (i >= 0) out[i] = (out[i] as number) + (ds[dyBase + c] as number);
        }
      }
    }
  }
  return dx;
}

/**
 * The 2×2 / stride 2 / no-padding case (every pool in our models), unrolled: windows are disjoint,
 * so each input cell is written exactly once and dx needs no clearing except uncovered edges.
 */
function pool2x2Grad(xs: Float32Array, ds: Float32Array, out: Float32Array, B: number, H: number, W: number, C: number, OH: number, OW: number): void {
  if (H !== 2 * OH || W !== 2 * OW) out.fill(0);
  const rowStride = W * C;
  for (let b = 0; b < B; b++) {
    const bBase = b * H * rowStride;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const p00 = bBase + 2 * oh * rowStride + 2 * ow * C;
        const p01 = p00 + C;
        const p10 = p00 + rowStride;
        const p11 = p10 + C;
        const dyBase = ((b * OH + oh) * OW + ow) * C;
        for (let c = 0; c < C; c++) {
          const v00 = xs[p00 + c] as number;
          const v01 = xs[p01 + c] as number;
          const v10 = xs[p10 + c] as number;
          const v11 = xs[p11 + c] as number;
          const g = ds[dyBase + c] as number;
          let m = v00;
          let k = 0;
          if (v01 > m) {
            m = v01;
            k = 1;
          }
          if (v10 > m) {
            m = v10;
            k = 2;
          }
          if (v11 > m) k = 3;
          out[p00 + c] = k === 0 ? g : 0;
          out[p01 + c] = k === 1 ? g : 0;
          out[p10 + c] = k === 2 ? g : 0;
          out[p11 + c] = k === 3 ? g : 0;
        }
      }
    }
  }
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
};
