import type { backend_util, TensorInfo } from '@tensorflow/tfjs';
import type { WasmBackendLike } from './wasm-memory';
import { callWasmKernel, freeAll, heapView } from './wasm-memory';

/**
 * dW = im2colᵀ(x) · dy, with the column matrix built already transposed ([kh·kw·ci, b·oh·ow]) so the
 * product runs on XNNPACK's non-transposed matmul and its [kh·kw·ci, co] result is the filter layout.
 * XNNPACK packs dy ([N, CO]) as the weights operand.
 */
export function viaIm2colT(backend: WasmBackendLike, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const PT = info.padInfo.top;
  const PL = info.padInfo.left;
  const K = KH * KW * C;
  const N = B * OH * OW;
  const cols = backend.makeOutput([K, N], 'float32');
  const xs = heapView(backend, x);
  const cs = heapView(backend, cols);
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      // Output columns whose input column stays inside the image for this kw: [owLo, owHi).
      const owLo = Math.max(0, Math.ceil((PL - kw) / SW));
      const owHi = Math.min(OW, Math.floor((W - 1 + PL - kw) / SW) + 1);
      for (let c = 0; c < C; c++) {
        let n = ((kh * KW + kw) * C + c) * N;
        for (let b = 0; b < B; b++) {
          for (let oh = 0; oh < OH; oh++) {
            const ih = oh * SH + kh - PT;
            if (ih < 0 || ih >= H || owHi <= owLo) {
              cs.fill(0, n, n + OW);
              n += OW;
              continue;
            }
            for (let ow = 0; ow < owLo; ow++) cs[n++] = 0;
            let src = ((b * H + ih) * W + (owLo * SW + kw - PL)) * C + c;
            const step = SW * C;
            for (let ow = owLo; ow < owHi; ow++) {
              cs[n++] = xs[src] as number;
              src += step;
            }
            for (let ow = owHi; ow < OW; ow++) cs[n++] = 0;
          }
        }
      }
    }
  }
  const dy2: TensorInfo = { dataId: dy.dataId, shape: [N, CO], dtype: 'float32' };
  const out = callWasmKernel(backend, 'BatchMatMul', { a: cols, b: dy2 }, { transposeA: false, transposeB: false });
  freeAll(backend, cols);
  return { dataId: out.dataId, shape: [KH, KW, C, CO], dtype: 'float32' };
}

/**
 * dWᵀ = dyᵀ · im2col(x): the same product with the operands' roles swapped, so XNNPACK packs the
 * [N, K] column matrix instead of dy. Wins when CO > K (the first layer: K = 9, CO = 32), because
 * packing costs more per float than the JS transpose of dy it needs.
 */
export function viaIm2colRows(backend: WasmBackendLike, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const PT = info.padInfo.top;
  const PL = info.padInfo.left;
  const K = KH * KW * C;
  const N = B * OH * OW;
  const cols = backend.makeOutput([N, K], 'float32');
  const dyT = backend.makeOutput([CO, N], 'float32');
  const xs = heapView(backend, x);
  const cs = heapView(backend, cols);
  let r = 0;
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * SH + kh - PT;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * SW + kw - PL;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) {
              for (let c = 0; c < C; c++) cs[r++] = 0;
              continue;
            }
            const src = ((b * H + ih) * W + iw) * C;
            for (let c = 0; c < C; c++) cs[r++] = xs[src + c] as number;
          }
        }
      }
    }
  }
  const ds = heapView(backend, dy);
  const ts = heapView(backend, dyT);
  for (let n = 0; n < N; n++) {
    const src = n * CO;
    for (let o = 0; o < CO; o++) ts[o * N + n] = ds[src + o] as number;
  }
  const prod = callWasmKernel(backend, 'BatchMatMul', { a: dyT, b: cols }, { transposeA: false, transposeB: false });
  const dw = backend.makeOutput([KH, KW, C, CO], 'float32');
  const ps = heapView(backend, prod);
  const ws = heapView(backend, dw);
  for (let o = 0; o < CO; o++) for (let k = 0; k < K; k++) ws[k * CO + o] = ps[o * K + k] as number;
  freeAll(backend, cols, dyT, prod);
  return dw;
}
