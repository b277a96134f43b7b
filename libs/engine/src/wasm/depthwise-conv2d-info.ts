import { backend_util } from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { EngineError } from '../engine-error';

/** Attributes both depthwise gradient kernels take (TF.js DepthwiseConv2dNativeBackprop{Input,Filter}Attrs). */
export interface DepthwiseBackpropAttrs {
  strides: number | [number, number];
  /** The op always passes one; a direct runKernel call may not, and the gradient treats none as 1. */
  dilations?: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * The geometry of a depthwise conv as the cpu backend computes it (`computeConv2DInfo(…, depthwise
 * = true)`: NHWC, outChannels = C · multiplier), for a gradient kernel of ours. Dilation > 1 is
 * ENGINE_ERR_UNSUPPORTED (the cpu kernels accept it but ignore it in their loops, and TF.js's
 * depthwise gradient rejects it), as is a dtype other than float32 (we read the heap as float32).
 */
export function depthwiseBackpropInfo(
  kernelName: string,
  inShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: DepthwiseBackpropAttrs,
  operands: TensorInfo[],
): backend_util.Conv2DInfo {
  const info = backend_util.computeConv2DInfo(inShape, filterShape, attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, true);
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    throw new EngineError('ENGINE_ERR_UNSUPPORTED', `wasm ${kernelName} supports dilation 1 only`, { kernel: kernelName, dilations: attrs.dilations });
  }
  const odd = operands.find((t) => t.dtype !== 'float32');
  if (odd) throw new EngineError('ENGINE_ERR_UNSUPPORTED', `wasm ${kernelName} supports float32 only`, { kernel: kernelName, dtype: odd.dtype });
  return info;
}
