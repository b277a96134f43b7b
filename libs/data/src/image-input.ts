import { convertImage } from './convert-image';
import { decodeRgba } from './decode-image';
import { readImageHeader } from './image-header';
import { MAX_FOLDER_IMAGE_PIXELS } from './constants';

/**
 * One PNG or JPEG file's bytes as a model input: rows×cols×channels bytes (HWC), resampled and
 * converted exactly as a folder dataset's images are, so a prediction sees what training saw.
 * Throws DATA_ERR_BAD_IMAGE / DATA_ERR_IMAGE_FORMAT / DATA_ERR_TOO_LARGE naming the file.
 */
export function imageToInput(bytes: Uint8Array, file: string, channels: 1 | 3, rows: number, cols: number, maxPixels = MAX_FOLDER_IMAGE_PIXELS): Uint8Array {
  const header = readImageHeader(bytes, file, maxPixels);
  const out = new Uint8Array(rows * cols * channels);
  convertImage(decodeRgba(bytes, header, file), channels, rows, cols, out);
  return out;
}
