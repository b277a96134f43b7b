/** Wire protocol version carried as `v` in every message; bump on any incompatible change to a message shape. */
export const PROTOCOL_VERSION = 1;

/** 64 MiB: a 16M-parameter fp32 tensor (64 MB) plus headers fits; anything larger is not one of our frames. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** 16M elements: well above the largest model we train (~5M params) yet caps one decoded tensor at 64 MB. */
export const DEFAULT_MAX_TENSOR_LENGTH = 16 * 1024 * 1024;
/** Largest batch a `work` message may carry; also caps `push.samples`. Larger batches do not fit worker memory. */
export const DEFAULT_MAX_BATCH = 4096;
/** A push may carry gradients accumulated over several local batches: samples ≤ maxBatch × this. */
export const MAX_ACCUMULATED_BATCHES = 64;
/** Generic cap on any string in a frame (characters); field-specific caps below are tighter. */
export const DEFAULT_MAX_STRING_LENGTH = 65_536;
/** Generic cap on any array or map in a frame (entries): bounds manifests with thousands of tensors. */
export const DEFAULT_MAX_ARRAY_LENGTH = 65_536;
/** Nesting depth of a frame: our messages nest ≤ 5 deep; model configs and summaries need a little more. */
export const DEFAULT_MAX_DEPTH = 32;
/** Total msgpack values in a frame: bounds decoder allocations (a 64 MiB frame of 1-byte ints would be 64M JS values). */
export const DEFAULT_MAX_NODES = 262_144;
/** Values in a `done.summary`: it is a report for people, not a data channel. */
export const DEFAULT_MAX_SUMMARY_NODES = 4096;

/** Worker ids are chosen by workers and appear in logs, metrics labels and file names. */
export const MAX_WORKER_ID_LENGTH = 64;
export const WORKER_ID_PATTERN = /^[A-Za-z0-9._-]+$/;
/** Tokens are opaque shared secrets; 512 chars fits any reasonable bearer token. */
export const MAX_TOKEN_LENGTH = 512;
/** Error and leave texts are for people and logs; longer texts are truncated by `errorMessage`. */
export const MAX_ERROR_MESSAGE_LENGTH = 1024;
/** Error codes look like `PS_ERR_STALE_PUSH`: stable, greppable, bounded. */
export const ERROR_CODE_PATTERN = /^[A-Z][A-Z0-9_]{2,63}$/;
/** Names (backends, codecs, datasets, hosts, run ids, tensor names) are short identifiers, not documents. */
export const MAX_NAME_LENGTH = 256;
/** Compression codecs a worker may advertise; there are four, leave room for variants. */
export const MAX_CAPABILITY_LIST = 32;
/** Tensor rank in a manifest: conv kernels are rank 4; 8 leaves room without allowing absurd shapes. */
export const MAX_TENSOR_RANK = 8;

/** Pads before each typed array on the wire so its bytes start 4-byte aligned in the frame (zero-copy decode). */
export const WIRE_ALIGNMENT = 4;
/** Prefix of the padding keys the encoder inserts before binary fields; decoders ignore them like any unknown key. */
export const PAD_KEY_PREFIX = '_pad_';
