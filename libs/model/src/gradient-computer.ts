import * as tf from '@tensorflow/tfjs';
import { mixSeed } from '@dtrain/common';
import { readFloat32Into } from '@dtrain/engine';
import { createForwardPass } from './forward-pass';
import { isFrozenWeight } from './frozen-layers';
import { ModelError } from './model-error';
import { weightManifest } from './weight-manifest';

export interface GradientResult {
  loss: number;
  /**
   * Flat, in manifest order: gradient of the mean softmax cross-entropy over the batch. The computer's
   * own buffer, overwritten by the next compute() unless created with `reuseBuffer: false`.
   */
  grads: Float32Array;
}

export interface GradientComputer {
  compute(images: Float32Array, labels: Int32Array, count: number): GradientResult;
  /**
   * The same, reading the results back asynchronously where the backend cannot read synchronously
   * (WebGPU in Node has no OffscreenCanvas for its sync readback); elsewhere it is `compute`.
   */
  computeAsync(images: Float32Array, labels: Int32Array, count: number): Promise<GradientResult>;
  dispose(): void;
}

export interface GradientComputerOptions {
  /** Seeds dropout masks (mixed with a per-call counter) so runs are reproducible. */
  seed?: number;
  /**
   * Reuse one grads buffer across calls (default true; the caller consumes it before the next compute).
   * A fresh 0.9 MB array per step (model of record) is external memory that V8 counts towards its next
   * full GC: a worker reusing it ran 13 instead of 22 mark-compacts (~10–20 ms each) in 100 steps.
   */
  reuseBuffer?: boolean;
  /** Fused conv → ReLU → pool blocks where the engine has them (default true; see ForwardPassOptions). */
  fuse?: boolean;
  /**
   * `--freeze` entries (layer names or prefixes, see isFrozenLayer). Their weights get no gradient:
   * their entries of `grads` are zeros, and the backward pass stops where nothing below needs one
   * (with `conv` frozen, no convolution gradient at all). The server's optimizer leaves them alone
   * either way; skipping them here saves the work.
   */
  frozen?: readonly string[];
}

/** Backends whose dataSync works in Node (WebGPU's needs an OffscreenCanvas). */
const readsSynchronously = (): boolean => tf.getBackend() !== 'webgpu';

/**
 * Gradients of the model's weights for one batch, as one flat Float32Array. Uses tf.variableGrads
 * over a functional forward pass on the model's own variables; the input image is not a variable,
 * so the first layer's input gradient is never computed. Everything runs inside variableGrads' tidy,
 * and the grads are copied straight from backend memory into the flat array, then disposed.
 */
export function createGradientComputer(model: tf.LayersModel, opts: GradientComputerOptions = {}): GradientComputer {
  const frozen = opts.frozen ?? [];
  const forward = createForwardPass(model, { fuse: opts.fuse ?? true, frozen });
  const manifest = weightManifest(model);
  const inShape = model.inputs[0]?.shape.slice(1) as number[];
  const perSample = inShape.reduce((a, b) => a * b, 1);
  const numClasses = model.outputs[0]?.shape[1] as number;
  const wanted = manifest.entries.map((e) => e.trainable && !isFrozenWeight(e.name, frozen));
  let calls = 0;
  let buffer: Float32Array | undefined;
  let disposed = false;
  /** Runs the forward and backward pass; the caller reads the tensors back and disposes them. */
  const run = (images: Float32Array, labels: Int32Array, count: number): { value: tf.Scalar; grads: tf.NamedTensorMap; vars: tf.Variable[] } => {
    if (disposed) throw new ModelError('MODEL_ERR_BAD_INPUT', 'gradient computer is disposed');
    if (!Number.isInteger(count) || count <= 0 || images.length < count * perSample || labels.length < count) {
      throw new ModelError('MODEL_ERR_BAD_INPUT', `need ${count * perSample} image values and ${count} labels`, { count, images: images.length, labels: labels.length });
    }
    const vars = model.weights.map((w) => w.read() as tf.Variable);
    const dropoutSeed = mixSeed(opts.seed ?? 0, calls++);
    const x = tf.tensor4d(images.subarray(0, count * perSample), [count, ...inShape] as [number, number, number, number]);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels.subarray(0, count), 'int32'), numClasses));
    const trainable = vars.filter((_, i) => wanted[i]);
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, forward.logits(x, { dropoutSeed })) as tf.Scalar, trainable);
    x.dispose();
    y.dispose();
    return { value, grads, vars };
  };
  const target = (): Float32Array => ((opts.reuseBuffer ?? true) ? (buffer ??= new Float32Array(manifest.totalSize)) : new Float32Array(manifest.totalSize));
  const release = (value: tf.Scalar, grads: tf.NamedTensorMap): void => {
    value.dispose();
    for (const k of Object.keys(grads)) grads[k]?.dispose();
  };
  return {
    compute(images, labels, count) {
      const { value, grads, vars } = run(images, labels, count);
      const flat = target();
      vars.forEach((v, i) => {
        const g = grads[v.name];
        const e = manifest.entries[i];
        if (!e) return;
        if (g) readFloat32Into(g, flat, e.offset);
        else flat.fill(0, e.offset, e.offset + e.size);
      });
      const loss = value.dataSync()[0] as number;
      release(value, grads);
      return { loss, grads: flat };
    },
    async computeAsync(images, labels, count) {
      if (readsSynchronously()) return this.compute(images, labels, count);
      const { value, grads, vars } = run(images, labels, count);
      try {
        const flat = target();
        const reads = vars.map(async (v, i) => {
          const g = grads[v.name];
          const e = manifest.entries[i];
          if (!e) return;
          if (g) flat.set((await g.data()) as Float32Array, e.offset);
          else flat.fill(0, e.offset, e.offset + e.size);
        });
        await Promise.all(reads);
        const loss = (await value.data())[0] as number;
        return { loss, grads: flat };
      } finally {
        release(value, grads);
      }
    },
    dispose() {
      disposed = true;
      buffer = undefined;
    },
  };
}
