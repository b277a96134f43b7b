import type { Dataset } from './dataset';
import { DataError } from './data-error';

/**
 * A dataset split as one binary body, for workers that cannot read the server's files (a browser
 * tab fetches the training split from the server): a little-endian u32 header length, the header
 * as JSON (name, count, rows, cols, numClasses, classNames), then the pixels and the labels.
 * Decoding checks every size against the header before a view is made.
 */
export const DATASET_TRANSFER_TYPE = 'application/x-dtrain-dataset';

/** Headers longer than this are not ours (1,000 class names of 64 characters are ~70 KB). */
const MAX_HEADER_BYTES = 1 << 20;

interface Header {
  name: string;
  count: number;
  rows: number;
  cols: number;
  numClasses: number;
  classNames: string[];
}

export function encodeDataset(ds: Dataset): Uint8Array {
  const header: Header = { name: ds.name, count: ds.count, rows: ds.rows, cols: ds.cols, numClasses: ds.numClasses, classNames: ds.classNames };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const pixels = ds.count * ds.rows * ds.cols;
  const out = new Uint8Array(4 + json.length + pixels + ds.count);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  out.set(ds.images.subarray(0, pixels), 4 + json.length);
  out.set(ds.labels.subarray(0, ds.count), 4 + json.length + pixels);
  return out;
}

const positiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

export function decodeDataset(bytes: Uint8Array): Dataset {
  const bad = (why: string): never => {
    throw new DataError('DATA_ERR_BAD_DIMS', `dataset transfer: ${why}`);
  };
  if (bytes.length < 4) throw new DataError('DATA_ERR_TRUNCATED', 'dataset transfer: shorter than its header length');
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (headerLength > MAX_HEADER_BYTES || 4 + headerLength > bytes.length) throw new DataError('DATA_ERR_TRUNCATED', 'dataset transfer: the header does not fit');
  let h: Partial<Header>;
  try {
    h = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(4, 4 + headerLength))) as Partial<Header>;
  } catch {
    return bad('the header is not JSON');
  }
  if (typeof h.name !== 'string' || !positiveInt(h.count) || !positiveInt(h.rows) || !positiveInt(h.cols) || !positiveInt(h.numClasses)) return bad('the header lacks name, count, rows, cols or numClasses');
  if (!Array.isArray(h.classNames) || h.classNames.length !== h.numClasses || !h.classNames.every((c) => typeof c === 'string')) return bad('classNames must be numClasses strings');
  const pixels = h.count * h.rows * h.cols;
  const start = 4 + headerLength;
  if (bytes.length !== start + pixels + h.count) throw new DataError('DATA_ERR_TRUNCATED', `dataset transfer: ${bytes.length - start} data bytes, the header announces ${pixels + h.count}`);
  const labels = bytes.subarray(start + pixels, start + pixels + h.count);
  for (const l of labels) if (l >= h.numClasses) throw new DataError('DATA_ERR_BAD_LABEL', `dataset transfer: label ${l} >= ${h.numClasses} classes`);
  return { name: h.name, count: h.count, rows: h.rows, cols: h.cols, numClasses: h.numClasses, classNames: h.classNames, images: bytes.subarray(start, start + pixels), labels };
}
