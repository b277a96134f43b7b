import * as tf from '@tensorflow/tfjs';
import { convReluPool, convReluPoolSupported, reluPool, reluPoolSupported } from '@dtrain/engine';
import { isFrozenLayer } from './frozen-layers';
import { createGraphForwardPass } from './graph-forward';
import { ModelError } from './model-error';

type Activation = 'relu' | 'linear';

/** One step of the functional forward pass, holding the model's own weight variables (no copies). */
type Op =
  | { kind: 'conv2d'; kernel: tf.LayerVariable; bias: tf.LayerVariable | undefined; strides: [number, number]; padding: 'valid' | 'same'; activation: Activation }
  | { kind: 'maxPool2d'; poolSize: [number, number]; strides: [number, number]; padding: 'valid' | 'same' }
  | { kind: 'flatten' }
  | { kind: 'dense'; kernel: tf.LayerVariable; bias: tf.LayerVariable | undefined; activation: Activation }
  | { kind: 'dropout'; rate: number };

export interface ForwardPassOptions {
  /**
   * Run conv → ReLU → 2×2 pool blocks as the engine's fused ops where it has them (on wasm: the whole
   * block for conv1 + pool1 of the model of record, ReLU + pool after later convs), default true.
   * Same results, a fraction of the memory traffic.
   */
  fuse?: boolean;
  /**
   * Frozen layers (`--freeze` entries, see isFrozenLayer). A conv with no trainable weights before it
   * then runs as ops whose input gradient TF.js computes only when asked, so the backward pass stops
   * at the lowest layer that trains.
   */
  frozen?: readonly string[];
}

export interface ForwardPass {
  /** Logits: the last layer's softmax is left out so the loss can use the stable fused softmax-CE. */
  logits(x: tf.Tensor4D, training: { dropoutSeed: number } | undefined): tf.Tensor2D;
}

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0] as number, v[1] as number] : [v as number, v as number]);

function activationOf(layer: tf.layers.Layer, last: boolean): Activation {
  const name = String((layer.getConfig() as { activation?: unknown }).activation ?? 'linear');
  if (name === 'relu' || name === 'linear') return name;
  if (name === 'softmax' && last) return 'linear';
  throw new ModelError('MODEL_ERR_BAD_CONFIG', `activation ${name} is not supported in ${layer.name}`);
}

/**
 * Re-expresses a Sequential LayersModel of conv / max-pool / flatten / dense / dropout layers (the
 * built-in models) as plain tf ops over the same variables. Compared with model.apply this skips the
 * layers bookkeeping, fuses conv → ReLU → pool blocks and lets training use logits directly; the
 * weights stay shared, so setFlatWeights is seen immediately. Any other model (graphs, batch norm,
 * other layers) runs layer by layer through createGraphForwardPass.
 */
export function createForwardPass(model: tf.LayersModel, opts: ForwardPassOptions = {}): ForwardPass {
  if (!isPlainChain(model)) return createGraphForwardPass(model);
  const ops: Op[] = model.layers.map((layer, i) => {
    const cfg = layer.getConfig() as Record<string, unknown>;
    const last = i === model.layers.length - 1;
    const [kernel, bias] = layer.weights;
    switch (layer.getClassName()) {
      case 'Conv2D':
        if (!kernel) break;
        return { kind: 'conv2d', kernel, bias, strides: pair(cfg.strides), padding: cfg.padding as 'valid' | 'same', activation: activationOf(layer, last) };
      case 'MaxPooling2D':
        return { kind: 'maxPool2d', poolSize: pair(cfg.poolSize), strides: pair(cfg.strides ?? cfg.poolSize), padding: cfg.padding as 'valid' | 'same' };
      case 'Flatten':
        return { kind: 'flatten' };
      case 'Dense':
        if (!kernel) break;
        return { kind: 'dense', kernel, bias, activation: activationOf(layer, last) };
      case 'Dropout':
        return { kind: 'dropout', rate: cfg.rate as number };
    }
    throw new ModelError('MODEL_ERR_BAD_CONFIG', `layer ${layer.name} (${layer.getClassName()}) is not supported`);
  });
  const fuse = opts.fuse ?? true;
  const frozen = opts.frozen ?? [];
  const firstTrainable = model.layers.findIndex((l) => l.trainableWeights.length > 0 && !isFrozenLayer(l.name, frozen));
  /** Whether op i's input needs a gradient: some layer before it has weights that train. */
  const inputNeedsGrad = (i: number): boolean => firstTrainable >= 0 && i > firstTrainable;
  return {
    logits(x, training) {
      let h: tf.Tensor = x;
      let skip = -1;
      ops.forEach((op, i) => {
        if (i === skip) return;
        switch (op.kind) {
          case 'conv2d':
            if (fuse && fusesWithPool(op, ops[i + 1])) {
              if (op.bias && convReluPoolSupported(h.shape, op.kernel.shape as number[], { strides: op.strides, pad: op.padding })) {
                h = convReluPool(h as tf.Tensor4D, op.kernel.read() as tf.Tensor4D, op.bias.read() as tf.Tensor1D);
                skip = i + 1;
                break;
              }
              const { outShape } = tf.backend_util.computeConv2DInfo(h.shape as [number, number, number, number], op.kernel.shape as [number, number, number, number], op.strides, 1, op.padding);
              if (reluPoolSupported(outShape)) {
                // conv + bias stays one kernel while training (TF.js unfuses only a ReLU), and ReLU + pool become one.
                // TF.js's fused conv computes its input gradient unasked, so where nothing below trains (the
                // first layer, or frozen ones below) the conv and its bias stay separate ops.
                const x4 = h as tf.Tensor4D;
                const filter = op.kernel.read() as tf.Tensor4D;
                const bias = op.bias?.read();
                const z = inputNeedsGrad(i)
                  ? tf.fused.conv2d({ x: x4, filter, strides: op.strides, pad: op.padding, bias, activation: 'linear' })
                  : withBias(tf.conv2d(x4, filter, op.strides, op.padding), bias);
                h = reluPool(z);
                skip = i + 1;
                break;
              }
            }
            h = tf.fused.conv2d({ x: h as tf.Tensor4D, filter: op.kernel.read() as tf.Tensor4D, strides: op.strides, pad: op.padding, bias: op.bias?.read(), activation: op.activation });
            break;
          case 'maxPool2d':
            h = tf.maxPool(h as tf.Tensor4D, op.poolSize, op.strides, op.padding);
            break;
          case 'flatten':
            h = tf.reshape(h, [h.shape[0] as number, -1]);
            break;
          case 'dense':
            h = tf.fused.matMul({ a: h as tf.Tensor2D, b: op.kernel.read() as tf.Tensor2D, bias: op.bias?.read(), activation: op.activation });
            break;
          case 'dropout':
            if (training && op.rate > 0) h = tf.dropout(h, op.rate, undefined, training.dropoutSeed + i);
            break;
        }
      });
      return h as tf.Tensor2D;
    },
  };
}

const withBias = (z: tf.Tensor4D, bias: tf.Tensor | undefined): tf.Tensor4D => (bias ? tf.add(z, bias) : z);

const twos = (v: [number, number]): boolean => v[0] === 2 && v[1] === 2;

/** A ReLU conv directly followed by a 2×2 pool of stride 2, valid: the blocks the engine's fused ops cover (convReluPool for the whole block where its conv fits, else reluPool for ReLU + pool). */
function fusesWithPool(conv: Op & { kind: 'conv2d' }, next: Op | undefined): boolean {
  return conv.activation === 'relu' && next?.kind === 'maxPool2d' && next.padding === 'valid' && twos(next.poolSize) && twos(next.strides);
}

const CHAIN_LAYERS = new Set(['Conv2D', 'MaxPooling2D', 'Flatten', 'Dense', 'Dropout']);

/** A Sequential model of the layers (and relu / linear activations, softmax last) that the op chain above covers. */
function isPlainChain(model: tf.LayersModel): boolean {
  if (model.getClassName() !== 'Sequential') return false;
  return model.layers.every((layer, i) => {
    if (!CHAIN_LAYERS.has(layer.getClassName())) return false;
    const cfg = layer.getConfig() as { activation?: unknown; dilationRate?: unknown };
    const a = String(cfg.activation ?? 'linear');
    const dilated = cfg.dilationRate !== undefined && [cfg.dilationRate].flat().some((d) => d !== 1);
    return !dilated && (a === 'relu' || a === 'linear' || (a === 'softmax' && i === model.layers.length - 1));
  });
}
