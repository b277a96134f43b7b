import { open } from 'node:fs/promises';
import { convertImage, hasColour } from './convert-image';
import { DataError } from './data-error';
import type { SkippedImages } from './dataset';
import { decodeRgba } from './decode-image';
import type { FolderLimits } from './folder-limits';
import type { FolderSample } from './folder-samples';
import type { FolderOptions } from './folder-spec';
import { readImageHeader } from './image-header';
import type { ImageHeader } from './image-header';

export interface DecodedSplit {
  images: Uint8Array;
  labels: Uint8Array;
}

export interface DecodedFolder {
  rows: number;
  cols: number;
  channels: 1 | 3;
  /** In the order of the sample lists given. */
  splits: DecodedSplit[];
  skipped: SkippedImages;
}

const hxw = (rows: number, cols: number): string => `${rows}x${cols}`;

/** The whole file, refused unread when it is larger than any image worth decoding. Any I/O failure is DATA_ERR_BAD_IMAGE naming it. */
async function readImageFile(file: string, maxBytes: number): Promise<Uint8Array> {
  try {
    const fh = await open(file, 'r');
    try {
      const { size } = await fh.stat();
      if (size > maxBytes) throw new DataError('DATA_ERR_BAD_IMAGE', `${file} is ${size} bytes: more than ${maxBytes} for one image`, { file, size, maxBytes });
      return await fh.readFile();
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw new DataError('DATA_ERR_BAD_IMAGE', `${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file }, { cause: err });
  }
}

/**
 * Decodes every sample of `splits` (train, test) into one HWC byte block per split. The geometry is
 * options.size, else the first readable image's; the channels options.channels, else 3 while
 * decoding and 1 at the end when no image had colour (grey content then equals an explicit
 * channels=1 load byte for byte). Each file's header is checked before its pixels are decoded:
 * another size is DATA_ERR_IMAGE_SIZE unless size= was given with fit=resize. An unreadable image
 * is DATA_ERR_BAD_IMAGE and stops the load at once, or with skipBad is left out and counted.
 */
export async function decodeFolderImages(splits: readonly FolderSample[][], options: FolderOptions, limits: FolderLimits): Promise<DecodedFolder> {
  const work: 1 | 3 = options.channels ?? 3;
  const total = splits.reduce((n, s) => n + s.length, 0);
  const skipped: SkippedImages = { count: 0, first: [] };
  let geometry: { rows: number; cols: number; first: string } | undefined;
  let out: DecodedSplit[] = [];
  let colour = false;
  const allocate = (rows: number, cols: number, first: string): void => {
    if (rows * cols > limits.maxImagePixels) {
      throw new DataError('DATA_ERR_BAD_SPEC', `size=${hxw(rows, cols)} is more than ${limits.maxImagePixels} pixels per image`, { rows, cols, maxImagePixels: limits.maxImagePixels });
    }
    const bytes = total * rows * cols * work;
    if (bytes > limits.maxBytes) {
      // Without channels= the decode runs as RGB until colour is ruled out, so grey sets need the room of RGB ones.
      const hint = options.channels === undefined ? ', channels=1 for grey images' : '';
      throw new DataError('DATA_ERR_TOO_LARGE', `${total} images of ${hxw(rows, cols)}x${work} are ${bytes} bytes decoded, more than ${limits.maxBytes} (pass a smaller size=${hint}, or raise the limit)`, {
        bytes,
        maxBytes: limits.maxBytes,
      });
    }
    geometry = { rows, cols, first };
    out = splits.map((s) => ({ images: new Uint8Array(s.length * rows * cols * work), labels: new Uint8Array(s.length) }));
  };
  if (options.size) allocate(options.size.rows, options.size.cols, 'size=');
  const checkSize = (h: ImageHeader, file: string): void => {
    if (!geometry) return allocate(h.height, h.width, file);
    if (h.height === geometry.rows && h.width === geometry.cols) return;
    if (!options.size) {
      const first = geometry.first;
      throw new DataError(
        'DATA_ERR_IMAGE_SIZE',
        `${file} is ${hxw(h.height, h.width)} (HxW) but ${first} is ${hxw(geometry.rows, geometry.cols)}: the images differ in size, so pass size=HxW to resample them all (e.g. folder,size=${hxw(geometry.rows, geometry.cols)}:DIR)`,
        { file, rows: h.height, cols: h.width, first, firstRows: geometry.rows, firstCols: geometry.cols },
      );
    }
    if (options.fit === 'check') {
      throw new DataError('DATA_ERR_IMAGE_SIZE', `${file} is ${hxw(h.height, h.width)} (HxW), not size=${hxw(geometry.rows, geometry.cols)} (fit=check refuses other sizes; fit=resize resamples them)`, {
        file,
        rows: h.height,
        cols: h.width,
      });
    }
  };
  const counts = splits.map(() => 0);
  for (const [s, samples] of splits.entries()) {
    for (const sample of samples) {
      try {
        const bytes = await readImageFile(sample.file, limits.maxImageFileBytes);
        const header = readImageHeader(bytes, sample.file, limits.maxImagePixels);
        checkSize(header, sample.file);
        const img = decodeRgba(bytes, header, sample.file);
        if (options.channels === undefined && !colour) colour = hasColour(img);
        const g = geometry!;
        const px = g.rows * g.cols * work;
        const split = out[s]!;
        const n = counts[s]!;
        convertImage(img, work, g.rows, g.cols, split.images.subarray(n * px, (n + 1) * px));
        split.labels[n] = sample.label;
        counts[s] = n + 1;
      } catch (err) {
        if (!(options.skipBad && err instanceof DataError && err.code === 'DATA_ERR_BAD_IMAGE')) throw err;
        skipped.count++;
        if (skipped.first.length < limits.maxSkippedListed) skipped.first.push({ file: sample.file, reason: err.message });
      }
    }
  }
  if (!geometry) {
    throw new DataError('DATA_ERR_BAD_IMAGE', `none of the ${total} images could be read (${skipped.first[0]?.reason ?? 'no images'})`, { skipped: skipped.count });
  }
  const { rows, cols } = geometry;
  const px = rows * cols * work;
  // Skipped images leave a tail unused: cut it off so the dataset (and the cache) hold only real samples.
  out = out.map((d, s) => (counts[s] === splits[s]!.length ? d : { images: d.images.slice(0, counts[s]! * px), labels: d.labels.slice(0, counts[s]) }));
  if (options.channels !== undefined || colour) return { rows, cols, channels: work, splits: out, skipped };
  // No image had colour: keep one of the three identical channels.
  const grey = out.map((d) => {
    const images = new Uint8Array(d.images.length / 3);
    for (let i = 0; i < images.length; i++) images[i] = d.images[3 * i]!;
    return { images, labels: d.labels };
  });
  return { rows, cols, channels: 1, splits: grey, skipped };
}
