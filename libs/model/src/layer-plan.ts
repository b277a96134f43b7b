import type { LayerSpec, ModelConfig, Padding, Size2 } from './model-config';
import { MODEL_INPUT } from './model-config';
import { ModelError } from './model-error';

/** Each layer's output shape (without the batch) and weights, from shape arithmetic alone. */
export interface LayerPlan {
  /** Output shape per layer name ('input' included). */
  shapes: Map<string, number[]>;
  /** The last layer's output shape. */
  output: number[];
  /** Weights the optimizer trains. */
  trainable: number;
  /** Weights that are state, not trained (batch norm's moving mean and variance). */
  state: number;
}

function bad(layer: string, why: string): never {
  throw new ModelError('MODEL_ERR_BAD_CONFIG', `${layer}: ${why}`, { layer });
}

export const pairOf = (v: Size2): [number, number] => (Array.isArray(v) ? [v[0], v[1]] : [v, v]);

/** Output side of a window, as TF.js computes it. */
function outSide(size: number, window: number, stride: number, padding: Padding): number {
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - window) / stride) + 1;
}

function spatial(name: string, kind: string, shape: number[]): [number, number, number] {
  if (shape.length !== 3) bad(name, `${kind} needs a [height, width, channels] input, not [${shape.join(', ')}]`);
  return shape as [number, number, number];
}

function windowed(name: string, [h, w]: [number, number, number], window: Size2, strides: Size2, padding: Padding): [number, number] {
  const [kh, kw] = pairOf(window);
  const [sh, sw] = pairOf(strides);
  const oh = outSide(h, kh, sh, padding);
  const ow = outSide(w, kw, sw, padding);
  if (oh < 1 || ow < 1) bad(name, `its output would be ${oh}×${ow} (the window is larger than its ${h}×${w} input)`);
  return [oh, ow];
}

const product = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/**
 * Walks a structurally valid config in order and computes every layer's output shape and the
 * number of weights, so a model can be sized (and an absurd or inconsistent one refused, naming the
 * layer) before TF.js allocates anything. Throws MODEL_ERR_BAD_CONFIG.
 */
export function planLayers(c: ModelConfig): LayerPlan {
  const shapes = new Map<string, number[]>([[MODEL_INPUT, [...c.inputShape]]]);
  let trainable = 0;
  let state = 0;
  c.layers.forEach((l: LayerSpec, i) => {
    const inputs = (l.inputs ?? [i === 0 ? MODEL_INPUT : (c.layers[i - 1] as LayerSpec).name]).map((n) => shapes.get(n) as number[]);
    const x = inputs[0] as number[];
    const name = l.name;
    let out: number[];
    switch (l.kind) {
      case 'conv2d': {
        const s = spatial(name, l.kind, x);
        const [kh, kw] = pairOf(l.kernelSize);
        out = [...windowed(name, s, l.kernelSize, l.strides ?? 1, l.padding ?? 'valid'), l.filters];
        trainable += kh * kw * s[2] * l.filters + (l.useBias === false ? 0 : l.filters);
        break;
      }
      case 'depthwiseConv2d': {
        const s = spatial(name, l.kind, x);
        const [kh, kw] = pairOf(l.kernelSize);
        const channels = s[2] * (l.depthMultiplier ?? 1);
        out = [...windowed(name, s, l.kernelSize, l.strides ?? 1, l.padding ?? 'valid'), channels];
        trainable += kh * kw * channels + (l.useBias === false ? 0 : channels);
        break;
      }
      case 'separableConv2d': {
        const s = spatial(name, l.kind, x);
        const [kh, kw] = pairOf(l.kernelSize);
        const mid = s[2] * (l.depthMultiplier ?? 1);
        out = [...windowed(name, s, l.kernelSize, l.strides ?? 1, l.padding ?? 'valid'), l.filters];
        trainable += kh * kw * mid + mid * l.filters + (l.useBias === false ? 0 : l.filters);
        break;
      }
      case 'batchNorm': {
        const ch = x[x.length - 1] as number;
        out = [...x];
        trainable += (l.scale === false ? 0 : ch) + (l.center === false ? 0 : ch);
        state += 2 * ch;
        break;
      }
      case 'maxPool2d':
      case 'avgPool2d': {
        const s = spatial(name, l.kind, x);
        out = [...windowed(name, s, l.poolSize, l.strides ?? l.poolSize, l.padding ?? 'valid'), s[2]];
        break;
      }
      case 'globalAvgPool2d':
      case 'globalMaxPool2d':
        out = [spatial(name, l.kind, x)[2]];
        break;
      case 'zeroPadding2d': {
        const [h, w, ch] = spatial(name, l.kind, x);
        const [[t, b], [le, r]] = l.padding;
        out = [h + t + b, w + le + r, ch];
        break;
      }
      case 'activation':
      case 'dropout':
        out = [...x];
        break;
      case 'add':
        for (const s of inputs) if (s.join() !== x.join()) bad(name, `add needs inputs of one shape; got [${inputs.map((s) => s.join('×')).join('], [')}]`);
        out = [...x];
        break;
      case 'concatenate': {
        for (const s of inputs) if (s.length !== x.length || s.slice(0, -1).join() !== x.slice(0, -1).join()) bad(name, `concatenate needs inputs that differ only in their last axis; got [${inputs.map((s) => s.join('×')).join('], [')}]`);
        out = [...x.slice(0, -1), inputs.reduce((n, s) => n + (s[s.length - 1] as number), 0)];
        break;
      }
      case 'flatten':
        out = [product(x)];
        break;
      case 'reshape': {
        const known = product(l.targetShape.filter((d) => d !== -1));
        const total = product(x);
        out = l.targetShape.map((d) => (d === -1 ? total / known : d));
        if (product(out) !== total || !out.every(Number.isInteger)) bad(name, `cannot reshape [${x.join(', ')}] (${total} values) to [${l.targetShape.join(', ')}]`);
        break;
      }
      case 'dense':
        if (x.length !== 1) bad(name, `dense needs a flat input, not [${x.join(', ')}]: put a flatten or a global pooling layer before it`);
        out = [l.units];
        trainable += (x[0] as number) * l.units + (l.useBias === false ? 0 : l.units);
        break;
    }
    shapes.set(name, out);
  });
  const last = c.layers[c.layers.length - 1] as LayerSpec;
  return { shapes, output: shapes.get(last.name) as number[], trainable, state };
}
