import type { TensorInfo } from '@tensorflow/tfjs';
import { heapGemm } from './heap-gemm';
import { gemmChunk } from './simd/simd-kernels';
import { recordFallback } from './kernel-fallbacks';
import { simdOrFallback } from './simd-or-fallback';
import type { FilterLayout } from './winograd-filter';
import { winogradFilter } from './winograd-filter';
import { tilesInJs, tilesOutJs } from './winograd-tiles-js';
import type { WasmBackendLike } from './wasm-memory';
import { freeAll, heapOffset, heapView } from './wasm-memory';

/** A stride-1 3×3 convolution of x [B, H, W, C] into y [B, OH, OW, CO], y[oh, ow] reading x[oh − padT + kh, ow − padL + kw]. */
export interface WinogradGeometry {
  B: number;
  H: number;
  W: number;
  C: number;
  OH: number;
  OW: number;
  CO: number;
  padT: number;
  padL: number;
}

/** What follows the convolution: a [CO] bias and a lower clamp (0 for ReLU, −∞ for none). */
export interface WinogradEpilogue {
  bias?: TensorInfo;
  lo: number;
}

/** How a call runs; the defaults are the fast path, the options exist for tests and measurements. */
export interface WinogradOptions {
  /**
   * Tiles per pass (whole images, at least one): a pass's transformed tiles (16·tiles·(C + CO)
   * floats) stay in cache between the transforms and the GEMMs. conv2's input gradient ran
   * 10.4 ms in one pass of 3,136 tiles and 8.5 ms in passes of 392.
   */
  chunkTiles?: number;
  /** false: the JS tile transforms even where wasm SIMD runs. */
  simd?: boolean;
  /** false: XNNPACK's GEMM even where simd/gemm.wat could run. */
  ownGemm?: boolean;
  /** The TF.js kernel this runs for: JS tile transforms for want of SIMD are recorded as its fallback. */
  kernel?: string;
}

/** Default tiles per pass (see WinogradOptions.chunkTiles). */
export const WINOGRAD_CHUNK_TILES = 512;

/**
 * Winograd F(2×2, 3×3): per 2×2 output block, 16 multiplies per (c, co) instead of 36. The input
 * patches and the outputs are transformed by our SIMD kernels (simd/winograd.wat; JS without SIMD),
 * the 16 products [tiles × C]·[C × CO] are our SIMD GEMMs (XNNPACK's when CO is not a multiple of 8). The filter (HWIO 3×3, read through
 * `layout`) is transformed here, per call. Undefined when the GEMM entry point is not reachable or
 * SIMD is on but a channel count is not a multiple of 4: callers then use the stock conv.
 */
export function winogradConv2d(
  backend: WasmBackendLike,
  x: TensorInfo,
  filter: TensorInfo,
  layout: FilterLayout,
  geo: WinogradGeometry,
  epilogue: WinogradEpilogue,
  opts: WinogradOptions = {},
): TensorInfo | undefined {
  const { B, H, W, C, OH, OW, CO, padT, padL } = geo;
  const simd = opts.simd === false ? undefined : simdOrFallback(backend, opts.kernel ?? 'Winograd conv', 'wasm SIMD unavailable: Winograd tile transforms in JS');
  if (simd && (C % 4 !== 0 || CO % 4 !== 0)) return undefined;
  // Our unpacked GEMM (simd/gemm.wat) where its 4×8 tile fits: 16 products of a pass 1.33 → 0.85 ms against XNNPACK's.
  const own = simd !== undefined && CO % 8 === 0 && opts.ownGemm !== false;
  const gemm = own ? undefined : heapGemm(backend, C, CO);
  if (!own && !gemm) {
    recordFallback(opts.kernel ?? 'Winograd conv', 'XNNPACK GEMM export unreachable (another backend build): no Winograd');
    return undefined;
  }
  const TH = Math.ceil(OH / 2);
  const TW = Math.ceil(OW / 2);
  const nb = Math.max(1, Math.min(B, Math.floor((opts.chunkTiles ?? WINOGRAD_CHUNK_TILES) / (TH * TW))));
  const chunkTiles = nb * TH * TW;
  // gemm.wat takes rows in fours: up to 3 alignment rows per matrix, zeroed here, whose products nobody reads
  const rows = own ? Math.ceil(chunkTiles / 4) * 4 : chunkTiles;
  const u = backend.makeOutput([16, C, CO], 'float32');
  const v = backend.makeOutput([16, rows, C], 'float32');
  const m = backend.makeOutput([16, rows, CO], 'float32');
  // zeros for padding pixels (C), a sink for the ragged edge (CO), zeros for a missing bias (CO)
  const scratch = backend.makeOutput([C + 2 * CO], 'float32');
  const y = backend.makeOutput([B, OH, OW, CO], 'float32');
  heapView(backend, scratch).fill(0);
  const vs = heapView(backend, v);
  for (let k = 0; rows > chunkTiles && k < 16; k++) vs.fill(0, (k * rows + chunkTiles) * C, (k + 1) * rows * C);
  winogradFilter(heapView(backend, filter), layout, C, CO, heapView(backend, u), 0);
  const [uOff, vOff, mOff, sOff, xOff, yOff] = [u, v, m, scratch, x, y].map((t) => heapOffset(backend, t)) as [number, number, number, number, number, number];
  const biasOff = epilogue.bias ? heapOffset(backend, epilogue.bias) : sOff + 4 * (C + CO);
  const vks = rows * C;
  const mks = rows * CO;
  const kc = gemmChunk(CO);
  for (let b0 = 0; b0 < B; b0 += nb) {
    const n = Math.min(nb, B - b0);
    const xb = xOff + 4 * b0 * H * W * C;
    const yb = yOff + 4 * b0 * OH * OW * CO;
    if (simd) simd.wgin(xb, vOff, sOff, n, H, W, C, TH, TW, padT, padL, vks);
    else tilesInJs(backend.wasm.HEAPF32, xb >> 2, vOff >> 2, { B: n, H, W, C, TH, TW, padT, padL }, vks);
    const tiles = n * TH * TW;
    for (let k = 0; k < 16; k++) {
      const [a, b, out] = [vOff + 4 * k * vks, uOff + 4 * k * C * CO, mOff + 4 * k * mks];
      if (gemm) gemm.run(a, tiles, b, out);
      // rows past `tiles` hold zeros or the previous pass's tiles: finite, and wgout never reads their products
      else simd?.gemm(a, C, 1, b, CO, out, CO, Math.ceil(tiles / 4) * 4, C, CO, kc, 0);
    }
    if (simd) simd.wgout(mOff, yb, sOff + 4 * C, biasOff, epilogue.lo, n, OH, OW, CO, TH, TW, mks);
    else {
      const bias = epilogue.bias ? heapView(backend, epilogue.bias) : undefined;
      tilesOutJs(backend.wasm.HEAPF32, mOff >> 2, yb >> 2, bias, epilogue.lo, { B: n, OH, OW, CO, TH, TW }, mks);
    }
  }
  gemm?.dispose();
  freeAll(backend, u, v, m, scratch);
  return y;
}
