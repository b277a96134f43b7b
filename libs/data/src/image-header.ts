import { MAX_FOLDER_IMAGE_PIXELS } from './constants';
import { DataError } from './data-error';
import { READ_IMAGE_FORMATS, sniffImageFormat } from './image-format';
import type { ImageFormat } from './image-format';
import { jpegSize } from './jpeg-size';
import { pngSize } from './png-luma';

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

/**
 * Format and size of an encoded image, from its signature and header only, so that an unsupported
 * format (DATA_ERR_IMAGE_FORMAT), a damaged header or an absurd size (DATA_ERR_BAD_IMAGE) is refused
 * before a decoder allocates anything. `file` names the image in every message and in details.
 */
export function readImageHeader(bytes: Uint8Array, file: string, maxPixels = MAX_FOLDER_IMAGE_PIXELS): ImageHeader {
  const format = sniffImageFormat(bytes);
  if (format === undefined) {
    const first = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DataError('DATA_ERR_BAD_IMAGE', `${file} is not a ${READ_IMAGE_FORMATS.replace(' and ', ' or ')} image (it starts ${first || 'empty'})`, { file });
  }
  if (format !== 'png' && format !== 'jpeg') {
    throw new DataError('DATA_ERR_IMAGE_FORMAT', `${file} is ${format.toUpperCase()}: only ${READ_IMAGE_FORMATS} images are read (convert it, e.g. with ImageMagick: mogrify -format png FILE)`, {
      file,
      format,
    });
  }
  const size = format === 'png' ? pngSize(bytes) : jpegSize(bytes);
  if (size === undefined) throw new DataError('DATA_ERR_BAD_IMAGE', `${file}: its ${format.toUpperCase()} header is damaged or cut short`, { file, format });
  const { width, height } = size;
  if (width < 1 || height < 1) throw new DataError('DATA_ERR_BAD_IMAGE', `${file} is empty (${width}×${height})`, { file, width, height });
  if (width * height > maxPixels) {
    throw new DataError('DATA_ERR_BAD_IMAGE', `${file} is ${width}×${height}: more than ${maxPixels} pixels`, { file, width, height, maxPixels });
  }
  return { format, width, height };
}
