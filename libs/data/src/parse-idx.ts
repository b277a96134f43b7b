import { readFile, stat } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { DEFAULT_MAX_IDX_BYTES, IDX_IMAGE_RANKS, IDX_LABEL_DIMS, IDX_MAX_DIMS, IDX_TYPE_UBYTE } from './constants';
import { DataError } from './data-error';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

export interface ParseIdxOptions {
  /** Largest decoded size accepted (gzip bombs, absurd header dims). Default DEFAULT_MAX_IDX_BYTES. */
  maxBytes?: number;
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/**
 * Parses an unsigned-byte IDX file, raw or gzipped (detected by the 1f 8b magic). `what` names the file
 * in errors; when it is 'images' the rank must be 3 or 4 (magic 2051 / 2052: N×H×W or N×H×W×C), when
 * 'labels' 1 (magic 2049). The payload
 * length must match the header exactly: a short file is DATA_ERR_TRUNCATED, a long one DATA_ERR_BAD_DIMS.
 * `data` may be a view into `bytes` (no copy for raw input).
 */
export function parseIdx(bytes: Uint8Array, what = 'idx', opts: ParseIdxOptions = {}): IdxArray {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_IDX_BYTES;
  const raw = isGzip(bytes) ? gunzip(bytes, what, maxBytes) : bytes;
  if (raw.length < 4) throw new DataError('DATA_ERR_TRUNCATED', `${what}: ${raw.length} bytes is shorter than an IDX header`);
  if (raw[0] !== 0 || raw[1] !== 0 || raw[2] !== IDX_TYPE_UBYTE) {
    const magic = Array.from(raw.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DataError('DATA_ERR_BAD_MAGIC', `${what}: header ${magic} is not an unsigned-byte IDX file (00 00 08 nn)`, { magic });
  }
  const ndims = raw[3] ?? 0;
  const wantDims = what === 'images' ? IDX_IMAGE_RANKS : what === 'labels' ? [IDX_LABEL_DIMS] : undefined;
  if (ndims < 1 || ndims > IDX_MAX_DIMS || (wantDims !== undefined && !wantDims.includes(ndims))) {
    throw new DataError('DATA_ERR_BAD_DIMS', `${what}: ${ndims} dimensions (expected ${wantDims?.join(' or ') ?? `1..${IDX_MAX_DIMS}`})`, { ndims });
  }
  const headerLen = 4 + 4 * ndims;
  if (raw.length < headerLen) throw new DataError('DATA_ERR_TRUNCATED', `${what}: header cut short`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const dims: number[] = [];
  let size = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    if (d === 0) throw new DataError('DATA_ERR_BAD_DIMS', `${what}: dimension ${i} is 0`, { dims });
    dims.push(d);
    size *= d;
  }
  if (size > maxBytes) {
    throw new DataError('DATA_ERR_TOO_LARGE', `${what}: header announces ${size} bytes (limit ${maxBytes})`, { dims, maxBytes });
  }
  const have = raw.length - headerLen;
  if (have < size) throw new DataError('DATA_ERR_TRUNCATED', `${what}: ${have} of ${size} data bytes present`, { dims, have, size });
  if (have > size) throw new DataError('DATA_ERR_BAD_DIMS', `${what}: ${have - size} bytes after the data the header describes`, { dims, have, size });
  return { dims, data: raw.subarray(headerLen) };
}

/** Reads and parses one IDX file (raw or gzipped). A missing file is DATA_ERR_NOT_FOUND. */
export async function readIdxFile(path: string, what = path, opts: ParseIdxOptions = {}): Promise<IdxArray> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_IDX_BYTES;
  try {
    // Checked before reading so a huge wrong file is never pulled into memory.
    const st = await stat(path);
    if (st.size > maxBytes + 4 + 4 * IDX_MAX_DIMS) {
      throw new DataError('DATA_ERR_TOO_LARGE', `${path}: ${st.size} bytes (limit ${maxBytes})`, { path, maxBytes });
    }
    return parseIdx(await readFile(path), what, opts);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DataError('DATA_ERR_NOT_FOUND', `${path} does not exist`, { path }, { cause: err });
    }
    // `what` may be a role ('images'), so name the file for whoever reads the message.
    if (err instanceof DataError && !err.message.startsWith(path)) err.message = `${path}: ${err.message}`;
    throw err;
  }
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC_0 && bytes[1] === GZIP_MAGIC_1;
}

function gunzip(bytes: Uint8Array, what: string, maxBytes: number): Uint8Array {
  try {
    // The largest IDX header is 4 + 4 * IDX_MAX_DIMS bytes on top of the payload limit.
    return gunzipSync(bytes, { maxOutputLength: maxBytes + 4 + 4 * IDX_MAX_DIMS });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DataError('DATA_ERR_TOO_LARGE', `${what}: decompresses to more than ${maxBytes} bytes`, { maxBytes }, { cause: err });
    }
    if (code === 'Z_BUF_ERROR') {
      throw new DataError('DATA_ERR_TRUNCATED', `${what}: gzip stream ends early`, undefined, { cause: err });
    }
    throw new DataError('DATA_ERR_BAD_GZIP', `${what}: corrupt gzip stream (${String(code)})`, undefined, { cause: err });
  }
}
