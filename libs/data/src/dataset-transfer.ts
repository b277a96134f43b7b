import { imageSize } from './dataset';
import type { Dataset } from './dataset';
import { DataError } from './data-error';

/**
 * A dataset split as one binary body, for workers that cannot read the server's files (a browser
 * tab fetches the training split from the server): a little-endian u32 header length, the header
 * as JSON (version, name, count, rows, cols, channels, numClasses, classNames), then the pixels (HWC,
 * as in Dataset.images) and the labels. Decoding checks every size against the header before a view
 * is made. Kept free of Node imports: the browser worker's bundle includes it.
 */
export const DATASET_TRANSFER_TYPE = 'application/x-dtrain-dataset';

/**
 * Bumped whenever the layout changes. 1 had no `version` field and no channels (grey only); 2 adds
 * both. A tab cached from an older server build reads the new body wrongly without it, so a
 * mismatch is refused with DATA_ERR_TRANSFER_VERSION (reload the page) rather than misread.
 */
export const DATASET_TRANSFER_VERSION = 2;

/** Headers longer than this are not ours (1,000 class names of 64 characters are ~70 KB). */
const MAX_HEADER_BYTES = 1 << 20;

/** The channel counts a Dataset may have (grey, RGB). */
const CHANNELS = [1, 3];

interface Header {
  version: number;
  name: string;
  count: number;
  rows: number;
  cols: number;
  channels: number;
  numClasses: number;
  classNames: string[];
}

export function encodeDataset(ds: Dataset): Uint8Array {
  const header: Header = {
    version: DATASET_TRANSFER_VERSION,
    name: ds.name,
    count: ds.count,
    rows: ds.rows,
    cols: ds.cols,
    channels: ds.channels,
    numClasses: ds.numClasses,
    classNames: ds.classNames,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const pixels = ds.count * imageSize(ds);
  const out = new Uint8Array(4 + json.length + pixels + ds.count);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  out.set(ds.images.subarray(0, pixels), 4 + json.length);
  out.set(ds.labels.subarray(0, ds.count), 4 + json.length + pixels);
  return out;
}

const positiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

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
  if (typeof h !== 'object' || h === null || Array.isArray(h)) return bad('the header is not a JSON object');
  const version = h.version ?? 1;
  if (version !== DATASET_TRANSFER_VERSION) {
    throw new DataError('DATA_ERR_TRANSFER_VERSION', `dataset transfer: format version ${String(version)}, this build reads ${DATASET_TRANSFER_VERSION} (server and worker come from different builds; reload the worker page)`, {
      version,
      expected: DATASET_TRANSFER_VERSION,
    });
  }
  if (typeof h.name !== 'string' || !positiveInt(h.count) || !positiveInt(h.rows) || !positiveInt(h.cols) || !positiveInt(h.numClasses)) return bad('the header lacks name, count, rows, cols or numClasses');
  if (typeof h.channels !== 'number' || !CHANNELS.includes(h.channels)) return bad(`channels must be ${CHANNELS.join(' or ')}, got ${String(h.channels)}`);
  if (!Array.isArray(h.classNames) || h.classNames.length !== h.numClasses || !h.classNames.every((c) => typeof c === 'string')) return bad('classNames must be numClasses strings');
  const pixels = h.count * h.rows * h.cols * h.channels;
  if (!Number.isSafeInteger(pixels)) return bad('count · rows · cols · channels is out of range');
  const start = 4 + headerLength;
  if (bytes.length !== start + pixels + h.count) throw new DataError('DATA_ERR_TRUNCATED', `dataset transfer: ${bytes.length - start} data bytes, the header announces ${pixels + h.count}`);
  const labels = bytes.subarray(start + pixels, start + pixels + h.count);
  for (const l of labels) if (l >= h.numClasses) throw new DataError('DATA_ERR_BAD_LABEL', `dataset transfer: label ${l} >= ${h.numClasses} classes`);
  return {
    name: h.name,
    count: h.count,
    rows: h.rows,
    cols: h.cols,
    channels: h.channels,
    numClasses: h.numClasses,
    classNames: h.classNames,
    images: bytes.subarray(start, start + pixels),
    labels,
  };
}
