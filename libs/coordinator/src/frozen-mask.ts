import type { WeightManifest } from '@dtrain/model';

/**
 * 1 for weights the optimizer may change, 0 for frozen ones. `frozen` names layers by prefix of the
 * weight name (`conv2d_1` freezes `conv2d_1/kernel` and `conv2d_1/bias`), or `conv` for every conv layer.
 * Undefined when nothing is frozen (the optimizer's fast path).
 */
export function frozenMask(manifest: WeightManifest, frozen: readonly string[]): Uint8Array | undefined {
  if (frozen.length === 0) return undefined;
  const mask = new Uint8Array(manifest.totalSize).fill(1);
  for (const e of manifest.entries) {
    const layer = e.name.split('/')[0] ?? e.name;
    if (frozen.some((f) => layer === f || layer.startsWith(f))) mask.fill(0, e.offset, e.offset + e.size);
  }
  return mask;
}
