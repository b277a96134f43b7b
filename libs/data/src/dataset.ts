/**
 * One split of an image-classification dataset, kept as raw bytes: 8 bits per pixel is 4x smaller than
 * floats, and batches are normalised on the way out (see fillBatch).
 */
export interface Dataset {
  name: string;
  /** count * rows * cols raw pixels, 0..255, row-major, one image after another. */
  images: Uint8Array;
  /** count labels, each < numClasses. */
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
  numClasses: number;
  /** numClasses names in label order. */
  classNames: string[];
}

export interface DatasetSplits {
  train: Dataset;
  test: Dataset;
  /** Where the data came from, for logs, e.g. 'embedded mnist package (8000/2000)'. */
  source: string;
}

/** The first `limit` samples of `ds` (views, no copy); `ds` itself when the limit does not cut. */
export function limitDataset(ds: Dataset, limit: number | undefined): Dataset {
  if (limit === undefined || limit >= ds.count) return ds;
  const n = Math.max(0, Math.floor(limit));
  return { ...ds, count: n, images: ds.images.subarray(0, n * ds.rows * ds.cols), labels: ds.labels.subarray(0, n) };
}
