import { readFile } from 'node:fs/promises';
import { PNG } from 'pngjs';
import { CodedError } from '@dtrain/common';
import { imageToInput, lumaAt, pngSize } from '@dtrain/data';

export class InputError extends CodedError<'INPUT_ERR_BAD_IMAGE' | 'INPUT_ERR_TOO_LARGE'> {}

/** Pixels a PNG may have (4096 × 4096): it is shrunk to 28×28, and decoding costs 4 bytes per pixel. */
export const MAX_IMAGE_PIXELS = 4096 * 4096;

/**
 * A PNG file as one model input: grayscale, resized (bilinear) to rows×cols, scaled to [0,1], and
 * inverted when the picture is dark ink on a light page (MNIST digits are light on dark).
 */
export async function pngToInput(path: string, rows: number, cols: number, maxPixels = MAX_IMAGE_PIXELS): Promise<Float32Array> {
  let png: PNG;
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new InputError('INPUT_ERR_BAD_IMAGE', `cannot read PNG ${path}: ${(err as Error).message}`, { path }, { cause: err });
  }
  const size = pngSize(bytes);
  if (size && size.width * size.height > maxPixels)
    throw new InputError('INPUT_ERR_TOO_LARGE', `${path} is ${size.width}×${size.height}: more than ${maxPixels} pixels`, { path, ...size, limit: maxPixels });
  try {
    png = PNG.sync.read(bytes);
  } catch (err) {
    throw new InputError('INPUT_ERR_BAD_IMAGE', `cannot read PNG ${path}: ${(err as Error).message}`, { path }, { cause: err });
  }
  const { width, height, data } = png;
  if (width < 1 || height < 1) throw new InputError('INPUT_ERR_BAD_IMAGE', `empty image ${path}`, { path });
  const gray = new Float32Array(width * height);
  let mean = 0;
  for (let i = 0; i < width * height; i++) {
    // Transparent pixels count as background (white page).
    const v = lumaAt(data, i) / 255;
    gray[i] = v;
    mean += v;
  }
  mean /= width * height;
  const invert = mean > 0.5;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const sy = Math.min(height - 1, Math.max(0, ((r + 0.5) * height) / rows - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(height - 1, y0 + 1);
    const fy = sy - y0;
    for (let c = 0; c < cols; c++) {
      const sx = Math.min(width - 1, Math.max(0, ((c + 0.5) * width) / cols - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(width - 1, x0 + 1);
      const fx = sx - x0;
      const g = (y: number, x: number): number => gray[y * width + x] ?? 0;
      const v = (g(y0, x0) * (1 - fx) + g(y0, x1) * fx) * (1 - fy) + (g(y1, x0) * (1 - fx) + g(y1, x1) * fx) * fy;
      out[r * cols + c] = invert ? 1 - v : v;
    }
  }
  return out;
}

/**
 * An image file (PNG or JPEG) as the input of a colour model: rows×cols×3, resampled and converted
 * as folder datasets are (no inversion: that heuristic is for digits), scaled to [0, 1].
 */
export async function colourImageToInput(path: string, rows: number, cols: number, maxPixels = MAX_IMAGE_PIXELS): Promise<Float32Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new InputError('INPUT_ERR_BAD_IMAGE', `cannot read image ${path}: ${(err as Error).message}`, { path }, { cause: err });
  }
  return Float32Array.from(imageToInput(bytes, path, 3, rows, cols, maxPixels), (v) => v / 255);
}
