import { createHash } from 'node:crypto';
import { DATASET_CHECKSUM_HEX_CHARS } from './constants';
import { imageSize } from './dataset';
import type { Dataset } from './dataset';

/**
 * A short content hash (shape, class count, pixels, labels; not the name) so the server and workers
 * can confirm they loaded the same data before training together.
 */
export function datasetChecksum(ds: Dataset): string {
  // Little-endian explicitly, so the hash does not depend on the host's byte order. `channels` joins
  // the header only when it is not 1, so grey datasets keep the checksums they had before channels
  // existed (logs and pinned tests stay comparable) while 28×28×3 never hashes like 28×84×1.
  const fields = [ds.count, ds.rows, ds.cols, ds.numClasses, ...(ds.channels === 1 ? [] : [ds.channels])];
  const header = new Uint8Array(4 * fields.length);
  const view = new DataView(header.buffer);
  fields.forEach((v, i) => view.setUint32(4 * i, v, true));
  return createHash('sha256')
    .update(header)
    .update(ds.images.subarray(0, ds.count * imageSize(ds)))
    .update(ds.labels.subarray(0, ds.count))
    .digest('hex')
    .slice(0, DATASET_CHECKSUM_HEX_CHARS);
}
