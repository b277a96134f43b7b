/**
 * One split of an image-classification dataset, kept as raw bytes: 8 bits per value is 4x smaller than
 * floats, and batches are normalised on the way out (see fillBatch).
 */
export interface Dataset {
  name: string;
  /**
   * count · rows · cols · channels raw values, 0..255: each image row-major with its channels
   * interleaved (HWC: R, G, B of pixel 0, then pixel 1, …), one image after another. That is the
   * layout the model's NHWC input takes, so a batch is a straight copy (see fillBatch).
   */
  images: Uint8Array;
  /** count labels, each < numClasses. */
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
  /** 1 (grey) or 3 (RGB). */
  channels: number;
  numClasses: number;
  /** numClasses names in label order. */
  classNames: string[];
}

/** Images a `folder:…,skip-bad` load left out because they could not be read. */
export interface SkippedImages {
  /** How many were skipped, over both splits. */
  count: number;
  /** The first few (LoadOptions.folder.maxSkippedListed), in the order they were met, with why. */
  first: { file: string; reason: string }[];
}

export interface DatasetSplits {
  train: Dataset;
  test: Dataset;
  /** Where the data came from, for logs, e.g. 'embedded mnist package (8000/2000)'. */
  source: string;
  /** Present when a `folder:` source skipped unreadable images (its `skip-bad` option), so a CLI can list them. */
  skipped?: SkippedImages;
}

/** Values (bytes in `images`, floats in a batch) per image: rows · cols · channels. */
export function imageSize(ds: Pick<Dataset, 'rows' | 'cols' | 'channels'>): number {
  return ds.rows * ds.cols * ds.channels;
}

/** The first `limit` samples of `ds` (views, no copy); `ds` itself when the limit does not cut. */
export function limitDataset(ds: Dataset, limit: number | undefined): Dataset {
  if (limit === undefined || limit >= ds.count) return ds;
  const n = Math.max(0, Math.floor(limit));
  return { ...ds, count: n, images: ds.images.subarray(0, n * imageSize(ds)), labels: ds.labels.subarray(0, n) };
}
