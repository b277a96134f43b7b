import { backend_util } from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { WasmBackendLike } from './wasm-memory';
import { callWasmKernel, freeAll, heapView, runStock } from './wasm-memory';
import { WINOGRAD_MIN_CHANNELS } from './conv2d';
import { rotatedSwapped } from './winograd-filter';
import { winogradConv2d } from './winograd-conv2d';
import { stridedBackpropInput } from './strided-backprop-input';

interface Attrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

/**
 * dx of a stride-1 3×3 conv as a Winograd forward conv of dy (rows and columns outside dy read as 0,
 * so no padded copy) with the rotated, in/out-swapped filter, read in place. Undefined when it does not apply.
 */
function viaWinograd(backend: WasmBackendLike, dy: TensorInfo, filter: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo | undefined {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const unit = info.strideHeight === 1 && info.strideWidth === 1 && info.dilationHeight === 1 && info.dilationWidth === 1;
  if (!unit || info.filterHeight !== 3 || info.filterWidth !== 3 || CO < WINOGRAD_MIN_CHANNELS || dy.dtype !== 'float32') return undefined;
  const geo = { B, H: OH, W: OW, C: CO, OH: H, OW: W, CO: C, padT: 2 - info.padInfo.top, padL: 2 - info.padInfo.left };
  return winogradConv2d(backend, dy, filter, rotatedSwapped(C, CO), geo, { lo: -Infinity }, { kernel: 'Conv2DBackpropInput' });
}

/**
 * dx as a forward XNNPACK convolution of (stride-dilated) dy with the rotated, in/out-swapped filter.
 * The stock wasm Conv2DBackpropInput is a scalar loop (~120 ms for the model of record's second
 * layer at batch 64, against ~11 ms for the same work as a forward conv).
 */
export function conv2DBackpropInput(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: WasmBackendLike; attrs: Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs;
  const fmt = backend_util.convertConv2DDataFormat(attrs.dataFormat);
  const info = backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    fmt,
  );
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const OHD = (OH - 1) * SH + 1;
  const OWD = (OW - 1) * SW + 1;
  const pt = KH - 1 - info.padInfo.top;
  const pl = KW - 1 - info.padInfo.left;
  const pb = H - OHD + info.padInfo.top;
  const pr = W - OWD + info.padInfo.left;
  if (info.dataFormat !== 'channelsLast') return runStock('Conv2DBackpropInput', args, 'NCHW: the stock scalar kernel');
  if (pt < 0 || pl < 0 || pb < 0 || pr < 0) return runStock('Conv2DBackpropInput', args, 'padding the forward-conv form cannot express: the stock scalar kernel');
  const wino = viaWinograd(backend, dy, filter, info);
  if (wino) return wino;
  if (SH > 1 || SW > 1) {
    const phased = stridedBackpropInput(backend, dy, filter, info);
    if (phased) return phased;
  }

  const rot = backend.makeOutput([KH, KW, CO, C], 'float32');
  const dilated = SH > 1 || SW > 1 ? backend.makeOutput([B, OHD, OWD, CO], 'float32') : undefined;
  const fs = heapView(backend, filter);
  const rs = heapView(backend, rot);
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      const dst = (kh * KW + kw) * CO * C;
      const src = ((KH - 1 - kh) * KW + (KW - 1 - kw)) * C * CO;
      for (let c = 0; c < C; c++) for (let o = 0; o < CO; o++) rs[dst + o * C + c] = fs[src + c * CO + o] as number;
    }
  }
  if (dilated) {
    const ds = heapView(backend, dy);
    const zs = heapView(backend, dilated);
    zs.fill(0);
    for (let b = 0; b < B; b++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const s = ((b * OH + oh) * OW + ow) * CO;
          zs.set(ds.subarray(s, s + CO), ((b * OHD + oh * SH) * OWD + ow * SW) * CO);
        }
      }
    }
  }
  const out = callWasmKernel(
    backend,
    'Conv2D',
    { x: dilated ?? dy, filter: rot },
    { strides: [1, 1], pad: [[0, 0], [pt, pb], [pl, pr], [0, 0]], dataFormat: 'NHWC', dilations: [1, 1] },
  );
  freeAll(backend, rot, ...(dilated ? [dilated] : []));
  return out;
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
};
