import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DataError } from './data-error';
import type { ImageHeader } from './image-header';

/** A decoded image: width·height RGBA pixels, 8 bits per channel (grey and palette images expanded). */
export interface RgbaImage {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/**
 * Decodes a PNG (pngjs: 16-bit rescaled to 8, palette and grey expanded, CRCs checked) or a JPEG
 * (jpeg-js, strict: a cut or damaged stream is an error, not a grey smear) whose header has already
 * been read and checked (readImageHeader). Anything the decoder refuses is DATA_ERR_BAD_IMAGE naming
 * `file`.
 */
export function decodeRgba(bytes: Uint8Array, header: ImageHeader, file: string): RgbaImage {
  const name = header.format.toUpperCase();
  let img: RgbaImage;
  try {
    if (header.format === 'png') {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      img = { width: png.width, height: png.height, rgba: png.data };
    } else {
      const j = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        tolerantDecoding: false,
        // The header check already bounds the pixels; this only keeps jpeg-js' own default (100 MP) out of the way.
        maxResolutionInMP: Math.max(1, (header.width * header.height) / 1e6 + 1),
      });
      img = { width: j.width, height: j.height, rgba: j.data };
    }
  } catch (err) {
    throw new DataError('DATA_ERR_BAD_IMAGE', `${file} is not a readable ${name}: ${(err as Error).message}`, { file, format: header.format }, { cause: err });
  }
  if (img.width !== header.width || img.height !== header.height || img.rgba.length < img.width * img.height * 4) {
    throw new DataError('DATA_ERR_BAD_IMAGE', `${file}: the ${name} decoded to ${img.width}×${img.height}, its header says ${header.width}×${header.height}`, { file });
  }
  return img;
}
