import type { ModelConfig } from './model-config';
import { ModelError } from './model-error';
import { validateModelConfig } from './validate-model-config';

function empty(name: string, h: number, w: number): never {
  throw new ModelError('MODEL_ERR_BAD_CONFIG', `${name}: its output would be ${h}×${w} (the window is larger than its input)`, { layer: name });
}

/** Output side of a 'valid' or 'same' window, as TF.js computes it. */
function outSize(size: number, window: number, stride: number, padding: 'valid' | 'same'): number {
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - window) / stride) + 1;
}

/**
 * Number of weights (the flat tensor length) a config builds, from shape arithmetic alone: no TF.js,
 * no model. Lets callers that hold only a config (a run summary, a server planning frame sizes)
 * know the fp32 size of the weights. Throws MODEL_ERR_BAD_CONFIG for an invalid config.
 */
export function parameterCount(cfg: ModelConfig): number {
  return countParameters(validateModelConfig(cfg));
}

/**
 * The count for a config already validated structurally; throws MODEL_ERR_BAD_CONFIG when a layer's
 * output would be empty (a window larger than its input).
 */
export function countParameters(c: ModelConfig): number {
  let [h, w, ch] = c.inputShape;
  let flat = 0;
  let total = 0;
  for (const l of c.layers) {
    switch (l.kind) {
      case 'conv2d': {
        const s = l.strides ?? 1;
        const pad = l.padding ?? 'valid';
        total += l.kernelSize * l.kernelSize * ch * l.filters + l.filters;
        h = outSize(h, l.kernelSize, s, pad);
        w = outSize(w, l.kernelSize, s, pad);
        ch = l.filters;
        if (h < 1 || w < 1) empty(l.name, h, w);
        break;
      }
      case 'maxPool2d': {
        const s = l.strides ?? l.poolSize;
        h = outSize(h, l.poolSize, s, 'valid');
        w = outSize(w, l.poolSize, s, 'valid');
        if (h < 1 || w < 1) empty(l.name, h, w);
        break;
      }
      case 'flatten':
        flat = h * w * ch;
        break;
      case 'dense':
        total += flat * l.units + l.units;
        flat = l.units;
        break;
      case 'dropout':
        break;
    }
  }
  return total;
}
