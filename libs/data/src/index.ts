export { DataError, DATA_ERROR_CODES } from './data-error';
export type { DataErrorCode } from './data-error';
export type { Dataset, DatasetSplits } from './dataset';
export { limitDataset } from './dataset';
export { parseIdx, readIdxFile } from './parse-idx';
export type { IdxArray, ParseIdxOptions } from './parse-idx';
export { pairImagesLabels } from './pair-images-labels';
export { downloadFile } from './download-file';
export type { DownloadOptions, DownloadProgress, DownloadResult } from './download-file';
export type { ExpectedChecksum } from './checksum';
export { defaultCacheDir } from './cache-dir';
export { loadDataset } from './load-dataset';
export type { LoadOptions } from './load-dataset';
export { shardIndices, validateShardSpec, SHARD_STRATEGIES } from './shard';
export type { ShardSpec, ShardStrategy } from './shard';
export { epochOrder } from './epoch-order';
export { fillBatch } from './fill-batch';
export type { FillBatchOptions } from './fill-batch';
export type { AugmentOptions } from './augment';
export { datasetChecksum } from './dataset-checksum';
export {
  MNIST_PACKAGE,
  MNIST_SHA256,
  DEFAULT_FASHION_MNIST_BASE_URL,
  DEBIAN_FASHION_MNIST_DIR,
  DEFAULT_MAX_DOWNLOAD_BYTES,
  DEFAULT_DOWNLOAD_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_IDX_BYTES,
  EMBEDDED_SPLIT_SEED,
  EMBEDDED_TEST_FRACTION,
  ENV as DATA_ENV,
  FASHION_MNIST_CLASS_NAMES,
  IDX_FILES,
  MNIST_CLASS_NAMES,
} from './constants';
export { CLASSES_PREFIX, parseClassList, selectClasses } from './select-classes';
export { lumaAt, pngSize } from './png-luma';
