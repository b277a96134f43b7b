import type { backend_util, TensorInfo } from '@tensorflow/tfjs';
import { heapGemm } from './heap-gemm';
import { recordFallback } from './kernel-fallbacks';
import type { SimdKernels } from './simd/simd-kernels';
import { gemmChunk } from './simd/simd-kernels';
import type { WasmBackendLike } from './wasm-memory';
import { freeAll, heapOffset, heapView } from './wasm-memory';

/** The transposed dy operand is written 4 tiles at a time (4×4 register transposes), so tiles are padded to this. */
const ROW_ALIGN = 4;
/**
 * Tiles per pass of the filter gradient (whole images, at least one): a pass's V and dy transforms
 * (16·tiles·(C + CO) floats, ~660 KB for conv2's 3 images of 36 tiles) stay in L2 for its GEMMs.
 * conv2, batch 64: all tiles in one pass 9.6–10.7 ms, 72 tiles 6.6–7.9, 108 tiles 5.3–5.8, 144 tiles 7.0–7.1.
 */
export const FILTER_CHUNK_TILES = 128;

/**
 * dW of a stride-1 3×3 conv by Winograd F(2×2, 3×3), the transpose of the forward algorithm:
 * dW = Gᵀ [Σ_tiles (Bᵀ x B) ⊙ (A dy Aᵀ)] G, i.e. 16 GEMMs (A dy Aᵀ)ᵀ[CO × tiles] · (Bᵀ x B)[tiles × C]
 * (XNNPACK packs the smaller, [tiles × C] operand) instead of one of 9·C·CO·tiles·4 multiply-adds.
 * Tile transforms by simd/winograd.wat; the dy side is written transposed, [CO × tiles], as it is transformed.
 * Undefined when the GEMM entry point is not reachable.
 */
export function viaWinograd(
  backend: WasmBackendLike,
  simd: SimdKernels,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
  opts: { chunkTiles?: number; ownGemm?: boolean } = {},
): TensorInfo | undefined {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const TH = Math.ceil(OH / 2);
  const TW = Math.ceil(OW / 2);
  // Our unpacked GEMM where its tile fits (XNNPACK would pack each fresh V: 19 → 8 ms for conv2's 16
  // products), in passes of whole images summed into dU, so a pass's transformed tiles stay in cache.
  const own = CO % 4 === 0 && C % 8 === 0 && opts.ownGemm !== false;
  const nb = own ? Math.max(1, Math.min(B, Math.floor((opts.chunkTiles ?? FILTER_CHUNK_TILES) / (TH * TW)))) : B;
  const T = nb * TH * TW;
  const TP = Math.ceil(T / ROW_ALIGN) * ROW_ALIGN;
  const gemm = own ? undefined : heapGemm(backend, TP, C);
  if (!own && !gemm) {
    recordFallback('Conv2DBackpropFilter', 'XNNPACK GEMM export unreachable (another backend build): no Winograd');
    return undefined;
  }
  const v = backend.makeOutput([16, TP, C], 'float32');
  const mt = backend.makeOutput([16, CO, TP], 'float32');
  const ut = backend.makeOutput([16, CO, C], 'float32');
  const zero = backend.makeOutput([Math.max(C, CO)], 'float32');
  const dw = backend.makeOutput([3, 3, C, CO], 'float32');
  heapView(backend, zero).fill(0);
  // alignment rows of V: zero like those of the transposed dy side, so they add nothing to the sums
  // (in later passes they may hold an earlier pass's tiles: finite, and still multiplied by zeros)
  const vs = heapView(backend, v);
  for (let k = 0; TP > T && k < 16; k++) vs.fill(0, (k * TP + T) * C, (k + 1) * TP * C);
  const [vOff, mtOff, utOff, zOff, xOff, dyOff] = [v, mt, ut, zero, x, dy].map((t) => heapOffset(backend, t)) as [number, number, number, number, number, number];
  const kc = gemmChunk(C);
  for (let b0 = 0; b0 < B; b0 += nb) {
    const n = Math.min(nb, B - b0);
    const tiles = n * TH * TW;
    const tp = Math.ceil(tiles / ROW_ALIGN) * ROW_ALIGN;
    simd.wgin(xOff + 4 * b0 * H * W * C, vOff, zOff, n, H, W, C, TH, TW, info.padInfo.top, info.padInfo.left, TP * C);
    simd.wgdyt(dyOff + 4 * b0 * OH * OW * CO, mtOff, zOff, OH, OW, CO, TH, TW, tiles, TP);
    for (let k = 0; k < 16; k++) {
      const [a, b, out] = [mtOff + 4 * k * CO * TP, vOff + 4 * k * TP * C, utOff + 4 * k * CO * C];
      if (gemm) gemm.run(a, CO, b, out);
      // Mt rows are TP apart; only the first tp columns of this pass are summed
      else simd.gemm(a, TP, 1, b, C, out, C, CO, tp, C, kc, b0 > 0 ? 1 : 0);
    }
  }
  gemm?.dispose();
  filterFromWinograd(heapView(backend, ut), C, CO, heapView(backend, dw));
  freeAll(backend, v, mt, ut, zero);
  return dw;
}

/**
 * dW[kh][kw][c][co] = (Gᵀ dU G)[kh][kw] from dUᵀ [16][CO][C]; Gᵀ = [1 ½ ½ 0; 0 ½ −½ 0; 0 ½ ½ 1].
 * Small (16·C·CO values), so plain JS.
 */
function filterFromWinograd(ut: Float32Array, C: number, CO: number, dw: Float32Array): void {
  const plane = C * CO;
  const t = new Float64Array(12);
  for (let o = 0; o < CO; o++) {
    for (let c = 0; c < C; c++) {
      const p = o * C + c;
      // t = Gᵀ dU (3×4), column j at a time
      for (let j = 0; j < 4; j++) {
        const u0 = ut[p + j * plane] as number;
        const u1 = ut[p + (4 + j) * plane] as number;
        const u2 = ut[p + (8 + j) * plane] as number;
        const u3 = ut[p + (12 + j) * plane] as number;
        t[j] = u0 + 0.5 * (u1 + u2);
        t[4 + j] = 0.5 * (u1 - u2);
        t[8 + j] = 0.5 * (u1 + u2) + u3;
      }
      // dW = t G (3×3)
      for (let kh = 0; kh < 3; kh++) {
        const a = t[4 * kh] as number;
        const b = t[4 * kh + 1] as number;
        const cc = t[4 * kh + 2] as number;
        const d = t[4 * kh + 3] as number;
        const row = kh * 3 * plane + c * CO + o;
        dw[row] = a + 0.5 * (b + cc);
        dw[row + plane] = 0.5 * (b - cc);
        dw[row + 2 * plane] = 0.5 * (b + cc) + d;
      }
    }
  }
}
