import * as tf from '@tensorflow/tfjs';
import { readFloat32Into } from '@dtrain/engine';
import { ModelError } from './model-error';

export interface ManifestEntry {
  name: string;
  shape: number[];
  offset: number;
  size: number;
  trainable: boolean;
}

export interface WeightManifest {
  entries: ManifestEntry[];
  totalSize: number;
}

/**
 * Where each weight lives in the one flat Float32Array that goes on the wire. Order is
 * model.weights order; names are the layer-scoped original names ('conv1/kernel'), without the
 * '_1' suffixes TF.js adds when a second model with the same layer names exists in the process.
 */
export function weightManifest(model: tf.LayersModel): WeightManifest {
  let offset = 0;
  const entries = model.weights.map((w) => {
    const size = w.shape.reduce<number>((a, b) => a * (b ?? 1), 1);
    const e: ManifestEntry = { name: w.originalName, shape: w.shape.map((d) => d ?? 1), offset, size, trainable: w.trainable };
    offset += size;
    return e;
  });
  return { entries, totalSize: offset };
}

function totalSize(model: tf.LayersModel): number {
  return model.weights.reduce((n, w) => n + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
}

/** All weights in manifest order, in `out` if given (it must have exactly totalSize elements). */
export function getFlatWeights(model: tf.LayersModel, out?: Float32Array): Float32Array {
  const n = totalSize(model);
  if (out && out.length !== n) throw new ModelError('MODEL_ERR_SIZE_MISMATCH', `out has ${out.length} elements, model has ${n}`, { expected: n, actual: out.length });
  const flat = out ?? new Float32Array(n);
  let offset = 0;
  for (const w of model.weights) {
    const v = w.read();
    readFloat32Into(v, flat, offset);
    offset += v.size;
  }
  return flat;
}

/** Replaces every weight from one flat array in manifest order. Throws MODEL_ERR_SIZE_MISMATCH. */
export function setFlatWeights(model: tf.LayersModel, flat: Float32Array): void {
  const n = totalSize(model);
  if (flat.length !== n) throw new ModelError('MODEL_ERR_SIZE_MISMATCH', `flat has ${flat.length} elements, model has ${n}`, { expected: n, actual: flat.length });
  let offset = 0;
  for (const w of model.weights) {
    const shape = w.shape.map((d) => d ?? 1);
    const size = shape.reduce((a, b) => a * b, 1);
    // A fresh tensor per write: backends (wasm/XNNPACK) cache packed filters per tensor id, so
    // writing new values into existing tensor memory would leave stale packed weights behind.
    const t = tf.tensor(flat.subarray(offset, offset + size), shape, 'float32');
    w.write(t);
    t.dispose();
    offset += size;
  }
}
