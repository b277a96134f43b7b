import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { sniffImageFormat } from './image-format';
import { readImageHeader } from './image-header';
import { jpegSize } from './jpeg-size';

function png(width: number, height: number): Uint8Array {
  return Uint8Array.from(PNG.sync.write(new PNG({ width, height })));
}

function jpg(width: number, height: number): Uint8Array {
  return jpeg.encode({ width, height, data: new Uint8Array(width * height * 4) }, 80).data;
}

/** `bytes` with an APP1 segment of `n` filler bytes inserted after SOI, as EXIF data sits before the frame header. */
function withApp1(bytes: Uint8Array, n: number): Uint8Array {
  const seg = new Uint8Array(4 + n);
  seg.set([0xff, 0xe1, ((n + 2) >> 8) & 0xff, (n + 2) & 0xff]);
  const out = new Uint8Array(bytes.length + seg.length);
  out.set(bytes.subarray(0, 2));
  out.set(seg, 2);
  out.set(bytes.subarray(2), 2 + seg.length);
  return out;
}

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('readImageHeader', () => {
  it('reads PNG and JPEG sizes from their headers', () => {
    expect(readImageHeader(png(7, 3), 'a.png')).toEqual({ format: 'png', width: 7, height: 3 });
    expect(readImageHeader(jpg(9, 5), 'a.jpg')).toEqual({ format: 'jpeg', width: 9, height: 5 });
    expect(readImageHeader(withApp1(jpg(9, 5), 3000), 'exif.jpg')).toEqual({ format: 'jpeg', width: 9, height: 5 });
    expect(jpegSize(jpg(4, 6))).toEqual({ width: 4, height: 6, components: 3 });
  });

  it('goes by content, not name: a JPEG called .png is a JPEG', () => {
    expect(readImageHeader(jpg(2, 2), 'liar.png').format).toBe('jpeg');
  });

  it('refuses GIF, BMP, WEBP and TIFF with DATA_ERR_IMAGE_FORMAT saying PNG and JPEG are read', () => {
    const samples: Record<string, Uint8Array> = {
      gif: ascii('GIF89a\x01\x00\x01\x00'),
      bmp: ascii('BM\x00\x00\x00\x00'),
      webp: ascii('RIFF\x00\x00\x00\x00WEBPVP8 '),
      tiff: ascii('II*\x00\x08\x00'),
    };
    for (const [format, bytes] of Object.entries(samples)) {
      expect(sniffImageFormat(bytes)).toBe(format);
      expect(() => readImageHeader(bytes, `x.${format}`)).toThrow(
        expect.objectContaining({ code: 'DATA_ERR_IMAGE_FORMAT', message: expect.stringContaining('only PNG and JPEG'), details: { file: `x.${format}`, format } }),
      );
    }
  });

  it('refuses unknown, cut, empty and absurd images with DATA_ERR_BAD_IMAGE naming the file, before decoding', () => {
    const bad = (bytes: Uint8Array, maxPixels?: number): void =>
      expect(() => readImageHeader(bytes, '/d/c/f.img', maxPixels)).toThrow(expect.objectContaining({ code: 'DATA_ERR_BAD_IMAGE', message: expect.stringContaining('/d/c/f.img'), details: expect.objectContaining({ file: '/d/c/f.img' }) }));
    bad(ascii('hello'));
    bad(new Uint8Array(0));
    bad(png(4, 4).subarray(0, 20));
    bad(jpg(4, 4).subarray(0, 30));
    bad(withZeroWidth(png(1, 4)));
    bad(png(10, 10), 99);
    expect(readImageHeader(png(10, 10), 'ok.png', 100).width).toBe(10);
  });
});

/** A PNG whose IHDR says width 0 (no encoder writes one; a damaged file can). */
function withZeroWidth(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  new DataView(out.buffer).setUint32(16, 0);
  return out;
}
