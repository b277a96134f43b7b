import * as tf from '@tensorflow/tfjs';
import { initEngine } from '@dtrain/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from './build-model';
import { createGradientComputer } from './gradient-computer';
import { layerOfWeight } from './frozen-layers';
import type { ModelConfig } from './model-config';
import { modelConfig } from './model-config';
import { fakeBatch, smallConfig } from './testing';
import { weightManifest } from './weight-manifest';

/** Agreement required between backends and against the reference, relative to the largest gradient. */
const TOL = 1e-4;

function relErr(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
    s = Math.max(s, Math.abs(b[i] as number));
  }
  return d / s;
}

/** Independent reference: TF.js's own layers forward (model.apply, softmax output) and a hand-written CE. */
function referenceGrads(model: tf.LayersModel, images: Float32Array, labels: Int32Array, count: number): { loss: number; grads: Float32Array } {
  const vars = model.weights.map((w) => w.read() as tf.Variable);
  const x = tf.tensor4d(images, [count, ...(model.inputs[0]!.shape.slice(1) as number[])] as [number, number, number, number]);
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
  const { value, grads } = tf.variableGrads(() => {
    const p = model.apply(x, { training: true }) as tf.Tensor;
    return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.log(p)), 1))) as tf.Scalar;
  }, vars);
  const flat = new Float32Array(weightManifest(model).totalSize);
  let off = 0;
  for (const v of vars) {
    flat.set(grads[v.name]!.dataSync() as Float32Array, off);
    off += v.size;
  }
  const loss = value.dataSync()[0]!;
  tf.dispose([x, y, value, ...Object.values(grads)]);
  return { loss, grads: flat };
}

/** Same loss, and per weight (so a wrong layer cannot hide behind a larger one) the same gradient, within TOL. */
function expectSameGradients(model: tf.LayersModel, got: { loss: number; grads: Float32Array }, want: { loss: number; grads: Float32Array }): void {
  expect(Math.abs(got.loss - want.loss) / want.loss).toBeLessThan(TOL);
  for (const e of weightManifest(model).entries) {
    expect(relErr(got.grads.subarray(e.offset, e.offset + e.size), want.grads.subarray(e.offset, e.offset + e.size)), e.name).toBeLessThan(TOL);
  }
}

/** The small test model without dropout, whose masks the model.apply reference would draw differently. */
const SMALL: ModelConfig = { ...smallConfig(), layers: smallConfig().layers.filter((l) => l.kind !== 'dropout') };

describe('createGradientComputer', () => {
  beforeAll(async () => {
    await initEngine({ backend: 'cpu', env: {} });
    await initEngine({ backend: 'wasm', env: {} });
  });

  it('matches an independent model.apply reference on cpu', () => {
    tf.setBackend('cpu');
    const model = buildModel(SMALL, { seed: 5 });
    const { images, labels } = fakeBatch(5, 288, 10);
    const got = createGradientComputer(model).compute(images, labels, 5);
    const want = referenceGrads(model, images, labels, 5);
    expect(Math.abs(got.loss - want.loss) / want.loss).toBeLessThan(TOL);
    expect(relErr(got.grads, want.grads)).toBeLessThan(TOL);
    model.dispose();
  });

  it.each([
    ['the model of record', modelConfig('cnn'), 2],
    ['a small same/stride-2 model', SMALL, 6],
  ] as const)('gives the same full-model gradient on wasm (custom kernels) as on cpu: %s', (_name, cfg, count) => {
    const { images, labels } = fakeBatch(count, cfg.inputShape.reduce((a, b) => a * b, 1), 10, 2);
    const run = (backend: 'cpu' | 'wasm') => {
      tf.setBackend(backend);
      const model = buildModel(cfg, { seed: 6 });
      const r = createGradientComputer(model).compute(images, labels, count);
      model.dispose();
      return r;
    };
    const cpu = run('cpu');
    const wasm = run('wasm');
    const probe = buildModel(cfg);
    expectSameGradients(probe, wasm, cpu);
    probe.dispose();
  }, 30_000);

  it('never computes the first layer input gradient', async () => {
    tf.setBackend('wasm');
    const model = buildModel(modelConfig('cnn'), { seed: 10 });
    const gc = createGradientComputer(model);
    const { images, labels } = fakeBatch(2, 784, 10);
    const profile = await tf.profile(() => {
      gc.compute(images, labels, 2);
    });
    const backpropInputs = profile.kernels.filter((k) => k.name === 'Conv2DBackpropInput');
    // Only conv2 needs dx (to reach conv1's weights); conv1's dx would be [2, 28, 28, 1].
    expect(backpropInputs.map((k) => k.outputShapes)).toEqual([[[2, 13, 13, 32]]]);
    model.dispose();
  });

  it.each([
    [['conv'], ['conv1', 'conv2'], [], ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'DtrainConvReluPoolBackprop', 'DtrainReluPoolGrad']],
    [['conv1'], ['conv1'], ['conv2'], ['Conv2DBackpropInput', 'DtrainConvReluPoolBackprop']],
  ] as const)('with %j frozen gives zeros for %j, the same gradient for every other weight, and skips the backward work nothing needs', async (frozen, zeroLayers, keptConvs, skipped) => {
    tf.setBackend('wasm');
    const model = buildModel(modelConfig('cnn'), { seed: 12 });
    const { images, labels } = fakeBatch(4, 784, 10, 6);
    const all = createGradientComputer(model, { reuseBuffer: false });
    const some = createGradientComputer(model, { reuseBuffer: false, frozen });
    const a = all.compute(images, labels, 4);
    const b = some.compute(images, labels, 4);
    expect(Math.abs(b.loss - a.loss) / a.loss).toBeLessThan(TOL);
    for (const e of weightManifest(model).entries) {
      const got = b.grads.subarray(e.offset, e.offset + e.size);
      const layer = layerOfWeight(e.name);
      if ((zeroLayers as readonly string[]).includes(layer)) expect(got.every((g) => g === 0), e.name).toBe(true);
      else {
        expect(got.some((g) => g !== 0), e.name).toBe(true);
        expect(relErr(got, a.grads.subarray(e.offset, e.offset + e.size)), e.name).toBeLessThan(TOL);
      }
    }
    const kernels = (await tf.profile(() => void some.compute(images, labels, 4))).kernels.map((k) => k.name);
    for (const k of skipped) expect(kernels, k).not.toContain(k);
    // a trainable conv still gets its filter gradient
    expect(kernels.filter((k) => k === 'Conv2DBackpropFilter')).toHaveLength(keptConvs.length);
    model.dispose();
  });

  it('runs conv1 → ReLU → pool1 and conv2\'s ReLU → pool2 as the engine\'s fused ops on wasm, with the gradients of the unfused ops', async () => {
    tf.setBackend('wasm');
    const model = buildModel(modelConfig('cnn'), { seed: 11 });
    const { images, labels } = fakeBatch(8, 784, 10, 5);
    const fused = createGradientComputer(model, { reuseBuffer: false });
    const plain = createGradientComputer(model, { reuseBuffer: false, fuse: false });
    const kernelsOf = async (gc: ReturnType<typeof createGradientComputer>): Promise<string[]> =>
      (await tf.profile(() => void gc.compute(images, labels, 8))).kernels.map((k) => k.name);
    const fusedKernels = await kernelsOf(fused);
    expect(fusedKernels).toContain('DtrainConvReluPool');
    expect(fusedKernels).toContain('DtrainConvReluPoolBackprop');
    // conv2 keeps its bias inside the conv kernel, and its ReLU + pool are one op each way
    expect(fusedKernels).toContain('FusedConv2D');
    expect(fusedKernels).toContain('DtrainReluPool');
    expect(fusedKernels).toContain('DtrainReluPoolGrad');
    for (const gone of ['MaxPool', 'MaxPoolGrad']) expect(fusedKernels, gone).not.toContain(gone);
    // the ReLU left is fc1's (a dense layer): one forward, one mask
    expect(fusedKernels.filter((k) => k === 'Relu')).toHaveLength(1);
    // conv1's own filter-gradient kernel is gone too
    expect(fusedKernels.filter((k) => k === 'Conv2DBackpropFilter')).toHaveLength(1);
    const plainKernels = await kernelsOf(plain);
    for (const ours of ['DtrainConvReluPool', 'DtrainReluPool']) expect(plainKernels).not.toContain(ours);
    const a = fused.compute(images, labels, 8);
    const b = plain.compute(images, labels, 8);
    expectSameGradients(model, a, b);
    model.dispose();
  });

  it('gives the unfused gradients for cnn-large too (ReLU → pool fused after its second and third convs)', async () => {
    tf.setBackend('wasm');
    const model = buildModel(modelConfig('cnn-large'), { seed: 12 });
    const { images, labels } = fakeBatch(2, 784, 10, 6);
    const fused = createGradientComputer(model, { reuseBuffer: false, seed: 3 });
    const kernels = (await tf.profile(() => void fused.compute(images, labels, 2))).kernels.map((k) => k.name);
    expect(kernels.filter((k) => k === 'DtrainReluPool')).toHaveLength(2);
    // conv1 (the first layer, not followed by a pool) stays unfused: no input gradient for the data
    expect(kernels.filter((k) => k === 'Conv2DBackpropInput')).toHaveLength(2);
    const plainRun = createGradientComputer(model, { reuseBuffer: false, seed: 3, fuse: false });
    plainRun.compute(images, labels, 2); // the same number of calls, so the same dropout masks
    const a = fused.compute(images, labels, 2);
    const b = plainRun.compute(images, labels, 2);
    expectSameGradients(model, a, b);
    model.dispose();
  }, 30_000);

  it('does not leak tensors across calls and reuses its buffer unless told not to', () => {
    tf.setBackend('wasm');
    const model = buildModel(modelConfig('cnn'), { seed: 7 });
    const gc = createGradientComputer(model);
    const { images, labels } = fakeBatch(8, 784, 10, 3);
    const first = gc.compute(images, labels, 8);
    const kept = first.grads.slice();
    const before = tf.memory().numTensors;
    const second = gc.compute(images, labels, 8);
    gc.compute(images, labels, 8);
    expect(tf.memory().numTensors).toBe(before);
    expect(second.grads).toBe(first.grads);
    // Same batch, same weights: the reused buffer holds the same values again.
    expect(second.grads).toEqual(kept);
    expect(Number.isFinite(second.loss)).toBe(true);
    const fresh = createGradientComputer(model, { reuseBuffer: false });
    const a = fresh.compute(images, labels, 8);
    const b = fresh.compute(images, labels, 8);
    expect(b.grads).not.toBe(a.grads);
    expect(b.grads).toEqual(a.grads);
    gc.dispose();
    fresh.dispose();
    model.dispose();
  });

  it('applies dropout only while computing gradients, reproducibly per seed', () => {
    tf.setBackend('wasm');
    const model = buildModel(modelConfig('cnn-large'), { seed: 8 });
    const { images, labels } = fakeBatch(2, 784, 10, 4);
    const a = createGradientComputer(model, { seed: 1 }).compute(images, labels, 2);
    const b = createGradientComputer(model, { seed: 1 }).compute(images, labels, 2);
    const c = createGradientComputer(model, { seed: 2 }).compute(images, labels, 2);
    expect(a.loss).toBe(b.loss);
    expect(c.loss).not.toBe(a.loss);
    model.dispose();
  });

  it('rejects too few values or a bad count with MODEL_ERR_BAD_INPUT', () => {
    tf.setBackend('wasm');
    const model = buildModel(modelConfig('cnn'));
    const gc = createGradientComputer(model);
    const { images, labels } = fakeBatch(2, 784, 10);
    expect(() => gc.compute(images, labels, 3)).toThrow(expect.objectContaining({ code: 'MODEL_ERR_BAD_INPUT' }));
    expect(() => gc.compute(images, labels, 0)).toThrow(expect.objectContaining({ code: 'MODEL_ERR_BAD_INPUT' }));
    expect(gc.compute(images, labels, 2).grads.length).toBe(225_034);
    model.dispose();
  });
});
