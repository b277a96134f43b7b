import { describe, expect, it } from 'vitest';
import { frozenMask, isFrozenLayer, isFrozenWeight, layerOfWeight } from './frozen-layers';
import { flatManifest } from './testing';

const manifest = flatManifest(['conv1/kernel', 3], ['conv1/bias', 1], ['conv2/kernel', 2], ['fc1/kernel', 2], ['logits/kernel', 2]);

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
