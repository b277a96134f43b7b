/**
 * Width, height and component count from a JPEG's frame header (SOFn), found by walking the marker
 * segments without decoding anything, so an absurd image is refused before its pixels are
 * allocated. Undefined when the stream has no frame header before its scan data (corrupt or cut).
 */
export function jpegSize(bytes: Uint8Array): { width: number; height: number; components: number } | undefined {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  const u16 = (at: number): number => ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
  let i = 2;
  while (i + 3 < bytes.length) {
    if (bytes[i] !== 0xff) return undefined;
    const marker = bytes[i + 1]!;
    // 0xff fill bytes before a marker; standalone markers (TEM, RSTn) carry no length.
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    // Start of scan or end of image before any frame header: there is no size to read.
    if (marker === 0xda || marker === 0xd9) return undefined;
    const length = u16(i + 2);
    if (length < 2) return undefined;
    // SOF0..SOF15, less DHT (c4), JPG (c8) and DAC (cc) which share the range.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (i + 9 >= bytes.length) return undefined;
      return { height: u16(i + 5), width: u16(i + 7), components: bytes[i + 9]! };
    }
    i += 2 + length;
  }
  return undefined;
}
