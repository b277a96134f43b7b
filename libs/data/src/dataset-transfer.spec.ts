import { describe, expect, it } from 'vitest';
import type { Dataset } from './dataset';
import { decodeDataset, encodeDataset } from './dataset-transfer';

const ds: Dataset = {
  name: 'tiny',
  count: 3,
  rows: 2,
  cols: 2,
  numClasses: 2,
  classNames: ['a', 'b'],
  images: Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
  labels: Uint8Array.from([0, 1, 1]),
};

describe('dataset transfer', () => {
  it('round-trips a split, pixels and labels byte for byte', () => {
    const back = decodeDataset(encodeDataset(ds));
    expect(back).toEqual({ ...ds });
  });

  it('refuses a truncated body, a bad header and an out-of-range label with coded errors', () => {
    const bytes = encodeDataset(ds);
    expect(() => decodeDataset(bytes.subarray(0, bytes.length - 1))).toThrow(expect.objectContaining({ code: 'DATA_ERR_TRUNCATED' }));
    expect(() => decodeDataset(bytes.subarray(0, 2))).toThrow(expect.objectContaining({ code: 'DATA_ERR_TRUNCATED' }));
    const badLabel = bytes.slice();
    badLabel[badLabel.length - 1] = 7;
    expect(() => decodeDataset(badLabel)).toThrow(expect.objectContaining({ code: 'DATA_ERR_BAD_LABEL' }));
    const badHeader = bytes.slice();
    badHeader[4] = 0x7b + 1; // '{' → '|'
    expect(() => decodeDataset(badHeader)).toThrow(expect.objectContaining({ code: 'DATA_ERR_BAD_DIMS' }));
  });
});
