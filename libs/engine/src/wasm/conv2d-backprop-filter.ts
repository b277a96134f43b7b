import { backend_util } from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { viaForwardConv } from './filter-grad-forward-conv';
import { viaIm2colRows, viaIm2colT } from './filter-grad-im2col';
import { viaDirectSimd } from './filter-grad-direct';
import { viaWinograd } from './filter-grad-winograd';
import { WINOGRAD_MIN_CHANNELS } from './conv2d';
import { simdOrFallback } from './simd-or-fallback';
import type { WasmBackendLike } from './wasm-memory';

interface Attrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/** Relative cost per float of a JS copy / transpose pass over the wasm heap (measured ≈2 ns). */
const JS_COST = 2;
/**
 * Largest filter (KH·KW·C·CO floats) for our direct SIMD kernel: its accumulators stay in L1 (16 KB).
 * Above that XNNPACK's register-blocked GEMM wins (conv2 of the model of record, 18,432 floats).
 */
const DIRECT_MAX_FILTER = 4096;
/** Relative cost per float of XNNPACK packing a fresh weights operand (measured ≈5 ns). */
const PACK_COST = 5;

/**
 * tfjs-backend-wasm 4.22 ships no Conv2DBackpropFilter at all. Three formulations on XNNPACK, chosen
 * by estimated data movement (the multiply-adds are the same in all three):
 * - im2colᵀ · dy: JS writes K·N, XNNPACK packs dy (N·CO);
 * - (dyᵀ · im2col)ᵀ: JS writes K·N + N·CO, XNNPACK packs the columns (N·K);
 * - forward conv with batch↔channel swapped: JS transposes x and dy, XNNPACK packs dy (N·CO).
 * Stride-1 3×3 filters with ≥ 16 input channels and channel counts a multiple of 4 (conv2 of the
 * model of record) go to Winograd F(2×2, 3×3) first (filter-grad-winograd.ts: ~21 → ~15 ms for conv2
 * under load, fewer multiplies). Small filters without padding (conv1, C = 1) go to our direct wasm
 * SIMD kernel (simd/filter-grad.wat).
 */
export function conv2DBackpropFilter(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: WasmBackendLike; attrs: Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  const fmt = backend_util.convertConv2DDataFormat(attrs.dataFormat);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    fmt,
  );
  if (info.dataFormat !== 'channelsLast') throw new Error('wasm Conv2DBackpropFilter supports NHWC only');
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const K = KH * KW * C;
  const N = B * OH * OW;
  // The forward-conv form needs non-negative bottom/right padding (valid + stride can leave rows unused).
  const PB = KH + (OH - 1) * SH - H - info.padInfo.top;
  const PR = KW + (OW - 1) * SW - W - info.padInfo.left;
  // 'valid' windows only (nothing padded, every window inside the image): the direct SIMD kernel.
  const inside = info.padInfo.top === 0 && info.padInfo.left === 0 && (OH - 1) * SH + KH <= H && (OW - 1) * SW + KW <= W;
  if (inside && CO % 4 === 0 && K * CO <= DIRECT_MAX_FILTER) {
    const simd = simdOrFallback(backend, 'Conv2DBackpropFilter', 'wasm SIMD unavailable: im2col or forward-conv form instead of simd/filter-grad.wat');
    if (simd) return viaDirectSimd(backend, simd, x, dy, info);
  }
  const wino3x3 = KH === 3 && KW === 3 && SH === 1 && SW === 1 && C >= WINOGRAD_MIN_CHANNELS && C % 4 === 0 && CO % 4 === 0;
  if (wino3x3 && x.dtype === 'float32' && dy.dtype === 'float32') {
    const simd = simdOrFallback(backend, 'Conv2DBackpropFilter', 'wasm SIMD unavailable: im2col or forward-conv form instead of Winograd');
    const dw = simd && viaWinograd(backend, simd, x, dy, info);
    if (dw) return dw;
  }
  const costT = JS_COST * K * N + PACK_COST * N * CO;
  const costRows = JS_COST * (K * N + N * CO) + PACK_COST * N * K;
  const costConv = PB >= 0 && PR >= 0 ? JS_COST * (B * H * W * C + N * CO) + PACK_COST * N * CO : Infinity;
  if (costConv < costT && costConv < costRows) return viaForwardConv(backend, x, dy, info, PB, PR);
  return costRows < costT ? viaIm2colRows(backend, x, dy, info) : viaIm2colT(backend, x, dy, info);
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
