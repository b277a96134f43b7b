import { describe, expect, it } from 'vitest';
import type { Dataset } from './dataset';
import { DATASET_TRANSFER_VERSION, decodeDataset, encodeDataset } from './dataset-transfer';
import { syntheticDataset } from './testing';

const ds: Dataset = {
  name: 'tiny',
  count: 3,
  rows: 2,
  cols: 2,
  channels: 1,
  numClasses: 2,
  classNames: ['a', 'b'],
  images: Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
  labels: Uint8Array.from([0, 1, 1]),
};

const rgb = syntheticDataset({ count: 5, rows: 3, cols: 4, channels: 3, numClasses: 3, name: 'rgb' });

/** `bytes` with its JSON header replaced by `edit(header)` (the body kept). */
function withHeader(bytes: Uint8Array, edit: (h: Record<string, unknown>) => Record<string, unknown>): Uint8Array {
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  const header = edit(JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + len))) as Record<string, unknown>);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(4 + json.length + bytes.length - 4 - len);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  out.set(bytes.subarray(4 + len), 4 + json.length);
  return out;
}

describe('dataset transfer', () => {
  it('round-trips a split, pixels and labels byte for byte', () => {
    const back = decodeDataset(encodeDataset(ds));
    expect(back).toEqual({ ...ds });
  });

  it('round-trips a 3-channel split with its channels and all rows · cols · 3 bytes per image', () => {
    const bytes = encodeDataset(rgb);
    const back = decodeDataset(bytes);
    expect(back).toEqual({ ...rgb });
    expect(back.images.length).toBe(5 * 3 * 4 * 3);
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

  it('refuses a truncated 3-channel body: the header announces count · rows · cols · 3 bytes', () => {
    const bytes = encodeDataset(rgb);
    // One image's worth short is exactly what a reader that forgot the channels would expect to be there.
    for (const cut of [1, rgb.rows * rgb.cols * 2, bytes.length - 8]) {
      expect(() => decodeDataset(bytes.subarray(0, bytes.length - cut))).toThrow(expect.objectContaining({ code: 'DATA_ERR_TRUNCATED' }));
    }
    expect(() => decodeDataset(withHeader(bytes, (h) => ({ ...h, channels: 1 })))).toThrow(expect.objectContaining({ code: 'DATA_ERR_TRUNCATED' }));
  });

  it('refuses another format version (a v1 body has none) and channels other than 1 or 3', () => {
    const bytes = encodeDataset(ds);
    const v1 = withHeader(bytes, ({ version: _v, channels: _c, ...rest }) => rest);
    expect(() => decodeDataset(v1)).toThrow(expect.objectContaining({ code: 'DATA_ERR_TRANSFER_VERSION', details: { version: 1, expected: DATASET_TRANSFER_VERSION } }));
    expect(() => decodeDataset(withHeader(bytes, (h) => ({ ...h, version: DATASET_TRANSFER_VERSION + 1 })))).toThrow(expect.objectContaining({ code: 'DATA_ERR_TRANSFER_VERSION' }));
    for (const channels of [0, 2, 4, 1.5, '3', undefined]) {
      expect(() => decodeDataset(withHeader(bytes, (h) => ({ ...h, channels })))).toThrow(expect.objectContaining({ code: 'DATA_ERR_BAD_DIMS' }));
    }
    expect(() => decodeDataset(withHeader(bytes, () => [] as unknown as Record<string, unknown>))).toThrow(expect.objectContaining({ code: 'DATA_ERR_BAD_DIMS' }));
  });
});
