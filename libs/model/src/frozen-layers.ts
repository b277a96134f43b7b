import type { WeightManifest } from './weight-manifest';

/** The layer a weight belongs to: `conv1/kernel` → `conv1`. */
export function layerOfWeight(weightName: string): string {
  return weightName.split('/')[0] ?? weightName;
}

/**
 * Whether `--freeze` entries freeze a layer: each entry names a layer or a prefix of layer names
 * (`conv` freezes `conv1` and `conv2`). The one matching rule for the CLI's checks, the server's
 * optimizer mask and the workers' gradient computation, so they cannot disagree.
 */
export function isFrozenLayer(layer: string, frozen: readonly string[]): boolean {
  return frozen.some((f) => layer === f || layer.startsWith(f));
}

/** Whether the manifest entry's weight is frozen. */
export function isFrozenWeight(weightName: string, frozen: readonly string[]): boolean {
  return isFrozenLayer(layerOfWeight(weightName), frozen);
}

/**
 * 1 for weights the optimizer may change, 0 for frozen ones and for state that is not trained (batch
 * norm's moving statistics), in manifest order. Undefined when every weight trains (the optimizer's
 * fast path).
 */
export function frozenMask(manifest: WeightManifest, frozen: readonly string[]): Uint8Array | undefined {
  if (frozen.length === 0 && manifest.entries.every((e) => e.trainable)) return undefined;
  const mask = new Uint8Array(manifest.totalSize).fill(1);
  for (const e of manifest.entries) if (!e.trainable || isFrozenWeight(e.name, frozen)) mask.fill(0, e.offset, e.offset + e.size);
  return mask;
}
