/**
 * Writes the example models in this folder with stock TF.js (tf.layers + model.save), so they are
 * exactly what a TF.js user would bring: `resnet-bn/model.json`, a residual network with batch norm
 * (and a separable conv) for 28×28 grey images (Fashion-MNIST, MNIST), topology only (dtrain initialises it, seeded).
 * Run: node --import tsx models/make-models.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';

const here = path.dirname(fileURLToPath(import.meta.url));

type T = tf.SymbolicTensor;
const apply = (layer: tf.layers.Layer, x: T | T[]): T => layer.apply(x) as T;

/** conv 3×3 (no bias: batch norm shifts) → batch norm → ReLU. */
function convBnRelu(x: T, filters: number, name: string, strides = 1): T {
  const c = apply(tf.layers.conv2d({ filters, kernelSize: 3, strides, padding: 'same', useBias: false, name: `${name}_conv` }), x);
  const b = apply(tf.layers.batchNormalization({ name: `${name}_bn` }), c);
  return apply(tf.layers.reLU({ name: `${name}_relu` }), b);
}

/** The basic residual block of ResNet (He et al. 2016): two 3×3 convs with batch norm, the input added back before the last ReLU. */
function residualBlock(x: T, filters: number, name: string): T {
  const h = convBnRelu(x, filters, `${name}_a`);
  const c = apply(tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false, name: `${name}_b_conv` }), h);
  const b = apply(tf.layers.batchNormalization({ name: `${name}_b_bn` }), c);
  const sum = apply(tf.layers.add({ name: `${name}_add` }), [b, x]);
  return apply(tf.layers.reLU({ name: `${name}_out` }), sum);
}

/**
 * 28×28×1 → stem (32 at 28×28) → 2×2 max pool → residual stage of 64 at 14×14 → pool → residual
 * stage of 128 at 7×7 → a wide separable conv of 512 at 7×7 → global average pool → 10. Work goes
 * where it is cheap (a 3×3 weight costs 784 multiply-adds per image at 28×28, 49 at 7×7), and the
 * stages shrink by pooling, not strided convs: the input gradient of a stride-2 conv (as a conv of
 * the zero-dilated gradient) cost 4–5× that of the same conv at stride 1 here.
 */
function resnetBn(): tf.LayersModel {
  const input = tf.input({ shape: [28, 28, 1], name: 'image' });
  let x = convBnRelu(input, 32, 'stem');
  x = apply(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }), x);
  x = convBnRelu(x, 64, 'widen2');
  x = residualBlock(x, 64, 'stage2');
  x = apply(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool3' }), x);
  x = convBnRelu(x, 128, 'widen3');
  x = residualBlock(x, 128, 'stage3');
  x = apply(tf.layers.separableConv2d({ filters: 512, kernelSize: 3, padding: 'same', useBias: false, name: 'wide_conv' }), x);
  x = apply(tf.layers.batchNormalization({ name: 'wide_bn' }), x);
  x = apply(tf.layers.reLU({ name: 'wide_relu' }), x);
  x = apply(tf.layers.globalAveragePooling2d({ name: 'pool' }), x);
  x = apply(tf.layers.dropout({ rate: 0.3, name: 'drop' }), x);
  const out = apply(tf.layers.dense({ units: 10, activation: 'softmax', name: 'classes' }), x);
  return tf.model({ inputs: input, outputs: out, name: 'resnet_bn' });
}

async function saveTopology(model: tf.LayersModel, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ modelTopology: artifacts.modelTopology, format: 'layers-model', generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`, convertedBy: null }, null, 1) + '\n');
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  console.log(`${dir}/model.json: ${model.countParams()} weights, ${model.layers.length} layers`);
}

await tf.setBackend('cpu');
await saveTopology(resnetBn(), path.join(here, 'resnet-bn'));
