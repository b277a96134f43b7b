/** Step points the monitor keeps; past this it halves them (every other one), so memory stays flat on long runs. */
export const DEFAULT_MAX_STEP_POINTS = 4_000;

/** Window of the global throughput and ETA: long enough to smooth BSP barriers, short enough to follow changes. */
export const DEFAULT_THROUGHPUT_WINDOW_MS = 10_000;

/** Status + worker table push period: a table a person reads does not need more than 1 Hz. */
export const DEFAULT_STATUS_INTERVAL_MS = 1_000;

/** New step points are batched this long before they go out, so ASP runs with 1000s of steps/s stay cheap. */
export const DEFAULT_STEP_FLUSH_MS = 250;

/** Worker-table rows a viewer gets (active members first): enough to read, bounded whatever joins. */
export const DEFAULT_MAX_WORKER_ROWS = 64;

/** Browsers allow ~6 connections per host over HTTP/1.1; a few dozen viewers is plenty for a training run. */
export const DEFAULT_MAX_SSE_CLIENTS = 32;

/** A viewer that falls this far behind (unsent bytes) is cut off instead of growing our memory. */
export const DEFAULT_MAX_SSE_BUFFER_BYTES = 1024 * 1024;

/** SSE comment period: keeps idle proxies and load balancers from closing the stream. */
export const DEFAULT_SSE_KEEPALIVE_MS = 15_000;

/** How long a browser waits before reconnecting a dropped stream (sent as the SSE `retry:` field). */
export const SSE_RETRY_MS = 2_000;

/** History: at most one step record per this many ms (epoch records and the summary are always written). */
export const DEFAULT_HISTORY_STEP_INTERVAL_MS = 200;

/** The history file every run appends to, inside `--out`. */
export const HISTORY_FILE_NAME = 'history.jsonl';

/** Format version of history records; bumped when a field changes meaning. */
export const HISTORY_FORMAT_VERSION = 1;

/** A history line longer than this is not ours (a confusion matrix of 1000 classes is ~4 MB; MNIST's is 300 B). */
export const DEFAULT_MAX_HISTORY_LINE_BYTES = 16 * 1024 * 1024;

/** Step latency buckets in seconds: from a tiny model on a fast box to a large one on wasm with stragglers. */
export const STEP_SECONDS_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
