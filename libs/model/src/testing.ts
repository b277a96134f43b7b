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
