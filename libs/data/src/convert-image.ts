import type { RgbaImage } from './decode-image';
import { resizeImage } from './resize-image';

/** True when some pixel's red, green and blue differ: the image carries colour, not just grey. */
export function hasColour(img: RgbaImage): boolean {
  const { rgba } = img;
  const n = img.width * img.height * 4;
  for (let i = 0; i < n; i += 4) if (rgba[i] !== rgba[i + 1] || rgba[i + 1] !== rgba[i + 2]) return true;
  return false;
}

/**
 * Rec. 601 luma in integer weights (as lumaAt), so a grey pixel's luma is its value exactly and an
 * explicitly grey load of grey images equals the automatic one.
 */
const luma = (r: number, g: number, b: number): number => (299 * r + 587 * g + 114 * b) / 1000;

/**
 * Writes `img` as rows×cols×channels bytes (HWC) into `out`: RGB as it is, or its luma for
 * channels 1; alpha is dropped (the colour under it is kept, not blended with a background).
 * Resampled by resizeImage (area averaging down, bilinear up) and rounded once at the end.
 */
export function convertImage(img: RgbaImage, channels: 1 | 3, rows: number, cols: number, out: Uint8Array): void {
  const { width, height, rgba } = img;
  let src: ArrayLike<number> = rgba;
  let stride = 4;
  if (channels === 1) {
    // Luma before resampling: both are linear, and the source is where a pixel's colours are whole.
    const grey = new Float32Array(width * height);
    for (let i = 0; i < grey.length; i++) grey[i] = luma(rgba[4 * i]!, rgba[4 * i + 1]!, rgba[4 * i + 2]!);
    src = grey;
    stride = 1;
  }
  const resized = resizeImage(src, height, width, stride, channels, rows, cols);
  for (let i = 0; i < resized.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(resized[i]!)));
}
