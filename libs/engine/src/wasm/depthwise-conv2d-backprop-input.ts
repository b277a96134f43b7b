import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { DepthwiseBackpropAttrs } from './depthwise-conv2d-info';
import { depthwiseBackpropInfo } from './depthwise-conv2d-info';
import type { WasmBackendLike } from './wasm-memory';
import { heapView } from './wasm-memory';

const KERNEL = 'DepthwiseConv2dNativeBackpropInput';

interface Attrs extends DepthwiseBackpropAttrs {
  inputShape: [number, number, number, number];
}

/**
 * dx of a depthwise conv (NHWC, filter [KH, KW, C, M], dy [B, OH, OW, C·M]); tfjs-backend-wasm 4.22
 * has none, so depthwise and separable convs could not train on wasm. Gathered per dx pixel: the
 * (oh, ow) taps that reach it are listed first (a stride skips the others, no dilated copy of dy),
 * then each run of 4 channels sums over them in local (float64) registers and is written once: no
 * clearing, no read-modify-write of dx (~2× faster in V8 than accumulating into an array). JS over
 * the heap: a depthwise conv has only K²·M multiply-adds per value, too few to pay for a GEMM.
 */
export function depthwiseConv2dNativeBackpropInput(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: WasmBackendLike; attrs: Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs;
  const info = depthwiseBackpropInfo(KERNEL, attrs.inputShape, filter.shape as [number, number, number, number], attrs, [dy, filter]);
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CM } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const PT = info.padInfo.top;
  const PL = info.padInfo.left;
  const M = CM / C;
  const dx = backend.makeOutput([B, H, W, C], 'float32');
  const ds = heapView(backend, dy);
  const fs = heapView(backend, filter);
  const out = heapView(backend, dx);
  // per dx pixel, its taps: where their dy pixel and filter tap start
  const tapDy = new Int32Array(KH * KW);
  const tapF = new Int32Array(KH * KW);
  for (let b = 0; b < B; b++) {
    for (let ih = 0; ih < H; ih++) {
      // kh = ih + PT − oh·SH ∈ [0, KH)
      const th = ih + PT;
      const oh0 = Math.max(0, Math.ceil((th - KH + 1) / SH));
      const oh1 = Math.min(OH - 1, Math.floor(th / SH));
      for (let iw = 0; iw < W; iw++) {
        const tw = iw + PL;
        const ow0 = Math.max(0, Math.ceil((tw - KW + 1) / SW));
        const ow1 = Math.min(OW - 1, Math.floor(tw / SW));
        let n = 0;
        for (let oh = oh0; oh <= oh1; oh++) {
          for (let ow = ow0; ow <= ow1; ow++, n++) {
            tapDy[n] = ((b * OH + oh) * OW + ow) * CM;
            tapF[n] = ((th - oh * SH) * KW + tw - ow * SW) * CM;
          }
        }
        const o = ((b * H + ih) * W + iw) * C;
        if (M === 1) gatherOne(ds, fs, out, tapDy, tapF, n, o, C);
        else gatherMany(ds, fs, out, tapDy, tapF, n, o, C, M);
      }
    }
  }
  return dx;
}

/** One dx pixel, multiplier 1: out[o + c] = Σ_t dy[tapDy[t] + c] · f[tapF[t] + c], 4 channels per pass. */
function gatherOne(ds: Float32Array, fs: Float32Array, out: Float32Array, tapDy: Int32Array, tapF: Int32Array, n: number, o: number, C: number): void {
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0; // prettier-ignore
    for (let t = 0; t < n; t++) {
      const d = (tapDy[t] as number) + c;
      const f = (tapF[t] as number) + c;
      a0 += (ds[d] as number) * (fs[f] as number);
      a1 += (ds[d + 1] as number) * (fs[f + 1] as number);
      a2 += (ds[d + 2] as number) * (fs[f + 2] as number);
      a3 += (ds[d + 3] as number) * (fs[f + 3] as number);
    }
    out[o + c] = a0;
    out[o + c + 1] = a1;
    out[o + c + 2] = a2;
    out[o + c + 3] = a3;
  }
  for (; c < C; c++) {
    let a = 0;
    for (let t = 0; t < n; t++) a += (ds[(tapDy[t] as number) + c] as number) * (fs[(tapF[t] as number) + c] as number);
    out[o + c] = a;
  }
}

/** One dx pixel, multiplier M > 1: out[o + c] = Σ_t Σ_m dy[tapDy[t] + c·M + m] · f[tapF[t] + c·M + m]. */
function gatherMany(ds: Float32Array, fs: Float32Array, out: Float32Array, tapDy: Int32Array, tapF: Int32Array, n: number, o: number, C: number, M: number): void {
  for (let c = 0; c < C; c++) {
    const j = c * M;
    let a = 0;
    for (let t = 0; t < n; t++) {
      const d = (tapDy[t] as number) + j;
      const f = (tapF[t] as number) + j;
      for (let m = 0; m < M; m++) a += (ds[d + m] as number) * (fs[f + m] as number);
    }
    out[o + c] = a;
  }
}

export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: KERNEL,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput as unknown as KernelFunc,
};
