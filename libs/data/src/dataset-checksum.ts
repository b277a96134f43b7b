import { createHash } from 'node:crypto';
import { DATASET_CHECKSUM_HEX_CHARS } from './constants';
import type { Dataset } from './dataset';

/**
 * A short content hash (shape, class count, pixels, labels; not the name) so the server and workers
 * can confirm they loaded the same data before training together.
 */
export function datasetChecksum(ds: Dataset): string {
  // Little-endian explicitly, so the hash does not depend on the host's byte order.
  const header = new Uint8Array(16);
  const view = new DataView(header.buffer);
  [ds.count, ds.rows, ds.cols, ds.numClasses].forEach((v, i) => view.setUint32(4 * i, v, true));
  return createHash('sha256')
    .update(header)
    .update(ds.images.subarray(0, ds.count * ds.rows * ds.cols))
    .update(ds.labels.subarray(0, ds.count))
    .digest('hex')
    .slice(0, DATASET_CHECKSUM_HEX_CHARS);
}
