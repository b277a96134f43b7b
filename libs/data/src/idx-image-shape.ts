import { IDX_IMAGE_RANKS, IMAGE_CHANNELS } from './constants';
import { DataError } from './data-error';
import type { IdxArray } from './parse-idx';

export interface ImageShape {
  count: number;
  rows: number;
  cols: number;
  channels: number;
}

/**
 * The shape of an images IDX array: [count, rows, cols] is grey (channels 1), [count, rows, cols,
 * channels] is HWC with channels 1 or 3 (4-channel data would need an alpha policy, 2 is no image
 * format we read). Anything else is DATA_ERR_BAD_DIMS; `file` names the file in the message and in
 * details, so the user knows which of the four files to fix.
 */
export function idxImageShape(images: IdxArray, file: string): ImageShape {
  const { dims } = images;
  if (!IDX_IMAGE_RANKS.includes(dims.length)) {
    throw new DataError('DATA_ERR_BAD_DIMS', `${file}: images have ${dims.length} dims, expected ${IDX_IMAGE_RANKS.join(' or ')} (N×H×W or N×H×W×C)`, { file, dims });
  }
  const [count = 0, rows = 0, cols = 0, channels = 1] = dims;
  if (!IMAGE_CHANNELS.includes(channels)) {
    throw new DataError('DATA_ERR_BAD_DIMS', `${file}: images are ${count}×${rows}×${cols}×${channels}, the last dimension (channels) must be ${IMAGE_CHANNELS.join(' or ')}`, { file, dims });
  }
  if (images.data.length !== count * rows * cols * channels) {
    throw new DataError('DATA_ERR_BAD_DIMS', `${file}: data length disagrees with dims`, { file, dims });
  }
  return { count, rows, cols, channels };
}
