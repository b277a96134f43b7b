import { CodedError } from '@dtrain/common';

/** Every code @dtrain/data throws, with what it means. Stable: callers and tests branch on these. */
export const DATA_ERROR_CODES = {
  DATA_ERR_BAD_MAGIC: 'IDX header is not 00 00 08 <ndims> (not an unsigned-byte IDX file)',
  DATA_ERR_TRUNCATED: 'file or gzip stream ends before the data its header announces',
  DATA_ERR_BAD_DIMS: 'wrong rank for images/labels (images N×H×W or N×H×W×C with C = 1 or 3), a zero dimension, or trailing bytes after the data',
  DATA_ERR_BAD_GZIP: 'gzip stream is corrupt',
  DATA_ERR_TOO_LARGE: 'decoded IDX data, or a decoded folder: dataset, would exceed maxBytes',
  DATA_ERR_MISMATCH: 'image and label counts differ, or train and test image sizes or channels differ',
  DATA_ERR_BAD_LABEL: 'a label is >= the number of classes',
  DATA_ERR_NOT_FOUND: 'a dataset file or directory does not exist',
  DATA_ERR_DOWNLOAD: 'download failed (network, HTTP status, timeout, size limit, interrupted body)',
  DATA_ERR_CHECKSUM: 'downloaded or cached file does not match its expected checksum',
  DATA_ERR_BAD_IMAGE: 'an image of a folder: dataset is unreadable, corrupt, empty, or has too many pixels or bytes (the error names the file)',
  DATA_ERR_IMAGE_FORMAT: 'an image of a folder: dataset is GIF, BMP, WEBP or TIFF: only PNG and JPEG are read (the error names the file)',
  DATA_ERR_IMAGE_SIZE: 'folder: images differ in size and no size= was given, or with fit=check an image is not size= (the error names the file)',
  DATA_ERR_TRANSFER_VERSION: 'a dataset transfer body has another format version (server and worker from different builds)',
  DATA_ERR_BAD_SPEC: 'unknown or malformed dataset spec, or invalid load option',
  DATA_ERR_BAD_SHARD: 'invalid shard spec (strategy, seed, index, count) or more shards than samples',
  DATA_ERR_BAD_BATCH: 'fillBatch got an index out of range, too-small output buffers or bad augmentation options',
} as const;

export type DataErrorCode = keyof typeof DATA_ERROR_CODES;

export class DataError extends CodedError<DataErrorCode> {}
