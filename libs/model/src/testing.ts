import type { ModelConfig } from './model-config';
import type { WeightManifest } from './weight-manifest';

/** Bit-exact equality of two float arrays; much faster than a deep-equal matcher on 10⁵ elements. */
export function sameFloats(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Deterministic fake MNIST-like batch: values in [0, 1) and labels in [0, numClasses). */
export function fakeBatch(count: number, perSample: number, numClasses: number, seed = 1): { images: Float32Array; labels: Int32Array } {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const images = Float32Array.from({ length: count * perSample }, next);
  const labels = Int32Array.from({ length: count }, () => Math.floor(next() * numClasses));
  return { images, labels };
}

/**
 * A tiny config with every layer kind ('same' padding, stride 2, dropout), small enough for the slow
 * cpu backend in unit tests: 12×12×2 inputs, 10 classes.
 */
export function smallConfig(): ModelConfig {
  return {
    name: 'small',
    inputShape: [12, 12, 2],
    numClasses: 10,
    layers: [
      { kind: 'conv2d', name: 'c1', filters: 6, kernelSize: 3, padding: 'same', activation: 'relu' },
      { kind: 'maxPool2d', name: 'p1', poolSize: 2 },
      { kind: 'conv2d', name: 'c2', filters: 8, kernelSize: 3, strides: 2, padding: 'valid', activation: 'relu' },
      { kind: 'dropout', name: 'drop', rate: 0.5 },
      { kind: 'flatten', name: 'f' },
      { kind: 'dense', name: 'd1', units: 16, activation: 'relu' },
      { kind: 'dense', name: 'out', units: 10, activation: 'softmax' },
    ],
  };
}

/** A manifest of flat weights laid out one after another, e.g. `flatManifest(['conv1/kernel', 3], ['fc1/kernel', 2])`. */
export function flatManifest(...weights: [name: string, size: number][]): WeightManifest {
  let offset = 0;
  const entries = weights.map(([name, size]) => {
    const e = { name, shape: [size], offset, size, trainable: true };
    offset += size;
    return e;
  });
  return { entries, totalSize: offset };
}
