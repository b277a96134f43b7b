import { describe, expect, it } from 'vitest';
import { frozenMask, isFrozenLayer, isFrozenWeight, layerOfWeight } from './frozen-layers';
import type { WeightManifest } from './weight-manifest';

const manifest: WeightManifest = {
  totalSize: 10,
  entries: [
    { name: 'conv1/kernel', shape: [3], offset: 0, size: 3, trainable: true },
    { name: 'conv1/bias', shape: [1], offset: 3, size: 1, trainable: true },
    { name: 'conv2/kernel', shape: [2], offset: 4, size: 2, trainable: true },
    { name: 'fc1/kernel', shape: [2], offset: 6, size: 2, trainable: true },
    { name: 'logits/kernel', shape: [2], offset: 8, size: 2, trainable: true },
  ],
};

describe('frozen layers', () => {
  it('matches a layer by its name or a prefix of it, and a weight by its layer', () => {
    expect(layerOfWeight('conv1/kernel')).toBe('conv1');
    expect(layerOfWeight('plain')).toBe('plain');
    expect(isFrozenLayer('conv1', ['conv'])).toBe(true);
    expect(isFrozenLayer('conv2', ['conv1'])).toBe(false);
    expect(isFrozenLayer('fc1', ['conv', 'fc1'])).toBe(true);
    expect(isFrozenLayer('fc1', [])).toBe(false);
    expect(isFrozenWeight('conv2/bias', ['conv'])).toBe(true);
    expect(isFrozenWeight('logits/bias', ['conv'])).toBe(false);
  });

  it('masks exactly the frozen layers\' weights, and gives no mask when nothing is frozen', () => {
    expect(frozenMask(manifest, [])).toBeUndefined();
    expect([...frozenMask(manifest, ['conv'])!]).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
    expect([...frozenMask(manifest, ['conv1', 'fc1'])!]).toEqual([0, 0, 0, 0, 1, 1, 0, 0, 1, 1]);
  });
});
