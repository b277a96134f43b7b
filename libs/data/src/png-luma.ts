/** Width and height from a PNG's IHDR chunk (bytes 16..23), read before anything is decoded. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  if (bytes.length < 24 || String.fromCharCode(bytes[12]!, bytes[13]!, bytes[14]!, bytes[15]!) !== 'IHDR') return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/**
 * The luma of decoded RGBA pixel `i` (Rec. 601 weights) on a 0..255 scale, a transparent pixel
 * counting as a white page: how `predict --image` reads an image. (`folder:` datasets use the same
 * weights but drop alpha rather than blend it: see convertImage.)
 */
export function lumaAt(rgba: Uint8Array, i: number): number {
  const a = (rgba[i * 4 + 3] ?? 255) / 255;
  return (0.299 * (rgba[i * 4] ?? 0) + 0.587 * (rgba[i * 4 + 1] ?? 0) + 0.114 * (rgba[i * 4 + 2] ?? 0)) * a + 255 * (1 - a);
}
