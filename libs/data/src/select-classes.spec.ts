import { describe, expect, it } from 'vitest';
import { loadDataset } from './load-dataset';
import { parseClassList, selectClasses } from './select-classes';

describe('class selection', () => {
  it('parses lists and ranges in the order given', () => {
    expect(parseClassList('5-9')).toEqual([5, 6, 7, 8, 9]);
    expect(parseClassList('0,2, 4')).toEqual([0, 2, 4]);
    expect(parseClassList('7,1-3')).toEqual([7, 1, 2, 3]);
  });

  it.each(['', '3', '4-2', '1,1', 'a-b', '0-10'])("refuses '%s' with DATA_ERR_BAD_SPEC", (text) => {
    expect(() => parseClassList(text, 10)).toThrow(expect.objectContaining({ code: 'DATA_ERR_BAD_SPEC' }));
  });

  it('keeps the chosen classes, relabelled in order, with their images and names', () => {
    const ds = { name: 'd', images: Uint8Array.of(10, 11, 20, 21, 30, 31, 40, 41), labels: Uint8Array.of(0, 3, 1, 3), count: 4, rows: 1, cols: 2, channels: 1, numClasses: 4, classNames: ['a', 'b', 'c', 'd'] };
    const s = selectClasses(ds, [3, 1]);
    expect(s).toMatchObject({ count: 3, numClasses: 2, classNames: ['d', 'b'] });
    expect(Array.from(s.labels)).toEqual([0, 1, 0]);
    expect(Array.from(s.images)).toEqual([20, 21, 30, 31, 40, 41]);
  });

  it('copies whole colour images (rows · cols · channels bytes each)', () => {
    const images = Uint8Array.from({ length: 3 * 2 * 3 }, (_, i) => i);
    const ds = { name: 'rgb', images, labels: Uint8Array.of(1, 0, 2), count: 3, rows: 1, cols: 2, channels: 3, numClasses: 3, classNames: ['a', 'b', 'c'] };
    const s = selectClasses(ds, [2, 1]);
    expect(s).toMatchObject({ count: 2, channels: 3, classNames: ['c', 'b'] });
    expect(Array.from(s.labels)).toEqual([1, 0]);
    expect(Array.from(s.images)).toEqual([0, 1, 2, 3, 4, 5, 12, 13, 14, 15, 16, 17]);
  });

  it("'classes:5-9:mnist-subset' loads only digits 5-9 as 5 classes, limits after selecting", async () => {
    const s = await loadDataset('classes:5-9:mnist-subset', { trainLimit: 1000 });
    expect(s.train.count).toBe(1000);
    expect(s.train.numClasses).toBe(5);
    expect(s.train.classNames).toEqual(['5', '6', '7', '8', '9']);
    expect(new Set(s.train.labels)).toEqual(new Set([0, 1, 2, 3, 4]));
    const all = await loadDataset('mnist-subset');
    const fives = Array.from(all.test.labels).filter((l) => l >= 5).length;
    expect(s.test.count).toBe(fives);
    await expect(loadDataset('classes:5-9')).rejects.toMatchObject({ code: 'DATA_ERR_BAD_SPEC' });
    await expect(loadDataset('classes:0-4:classes:0-1:mnist-subset')).rejects.toMatchObject({ code: 'DATA_ERR_BAD_SPEC' });
  });
});
