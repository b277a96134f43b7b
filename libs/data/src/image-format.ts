/**
 * Which image formats `folder:` datasets read, told apart by their first bytes (the file name's
 * extension only decides which files are looked at: a JPEG saved as .png still decodes).
 */
export type ImageFormat = 'png' | 'jpeg';

/** Formats recognised only to be refused with a message that says what to do (convert them). */
export type RefusedImageFormat = 'gif' | 'bmp' | 'webp' | 'tiff';

/** For messages: what is read. */
export const READ_IMAGE_FORMATS = 'PNG and JPEG';

/** Files the folder loader decodes. */
export const IMAGE_EXTENSIONS = /\.(png|jpe?g)$/i;
/** Files it refuses instead of silently ignoring (they are images, just not ones it reads). */
export const REFUSED_EXTENSIONS = /\.(gif|bmp|webp|tiff?)$/i;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const startsWith = (b: Uint8Array, sig: readonly number[], at = 0): boolean => b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** The format `bytes` are in, judged by the signature; undefined for anything unrecognised. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | RefusedImageFormat | undefined {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'gif';
  if (startsWith(bytes, ascii('BM'))) return 'bmp';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'webp';
  if (startsWith(bytes, ascii('II*\0')) || startsWith(bytes, ascii('MM\0*'))) return 'tiff';
  return undefined;
}
