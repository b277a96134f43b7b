import { describe, expect, it } from 'vitest';
import { TrainableLayout } from './trainable-layout';
import { flatManifest } from './testing';

const manifest = flatManifest(['conv1/kernel', 3], ['conv1/bias', 1], ['fc1/kernel', 2], ['fc1/bias', 1], ['logits/kernel', 2], ['logits/bias', 1]);
const full = Float32Array.from({ length: 10 }, (_, i) => i + 1);

describe('TrainableLayout', () => {
  it('is undefined when nothing is frozen', () => {
    expect(TrainableLayout.of(manifest, [])).toBeUndefined();
  });

  it.each([
    [['conv'], [5, 6, 7, 8, 9, 10], [0, 0, 0, 0, 5, 6, 7, 8, 9, 10]],
    [['fc1'], [1, 2, 3, 4, 8, 9, 10], [1, 2, 3, 4, 0, 0, 0, 8, 9, 10]],
    [['conv', 'logits'], [5, 6, 7], [0, 0, 0, 0, 5, 6, 7, 0, 0, 0]],
  ])('with %j frozen packs the trainable weights in manifest order and unpacks them with zeros for the frozen ones', (frozen, packed, unpacked) => {
    const layout = TrainableLayout.of(manifest, frozen)!;
    expect(layout.size).toBe(packed.length);
    expect([...layout.gather(full)]).toEqual(packed);
    // scatter writes every element: stale values in the frozen runs are cleared
    expect([...layout.scatter(Float32Array.from(packed), new Float32Array(10).fill(-1))]).toEqual(unpacked);
    // place keeps them: the trainable positions are what gather picks out of 0..9
    const trainable = new Set(layout.gather(Float32Array.from({ length: 10 }, (_, j) => j)));
    const placed = [...layout.place(Float32Array.from(packed), new Float32Array(10).fill(-1))];
    expect(placed).toEqual(unpacked.map((x, i) => (trainable.has(i) ? x : -1)));
  });

  it('refuses arrays of the wrong length with MODEL_ERR_SIZE_MISMATCH', () => {
    const layout = TrainableLayout.of(manifest, ['conv'])!;
    expect(() => layout.gather(new Float32Array(9))).toThrow(expect.objectContaining({ code: 'MODEL_ERR_SIZE_MISMATCH' }));
    expect(() => layout.gather(full, new Float32Array(5))).toThrow(expect.objectContaining({ code: 'MODEL_ERR_SIZE_MISMATCH' }));
    expect(() => layout.scatter(new Float32Array(7), new Float32Array(10))).toThrow(expect.objectContaining({ code: 'MODEL_ERR_SIZE_MISMATCH' }));
    expect(() => layout.place(new Float32Array(6), new Float32Array(11))).toThrow(expect.objectContaining({ code: 'MODEL_ERR_SIZE_MISMATCH' }));
  });
});
