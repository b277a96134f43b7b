import {
  DEFAULT_MAX_ARRAY_LENGTH,
  DEFAULT_MAX_BATCH,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_NODES,
  DEFAULT_MAX_STRING_LENGTH,
  DEFAULT_MAX_SUMMARY_NODES,
  DEFAULT_MAX_TENSOR_LENGTH,
} from './constants';

/** Every bound decode and validation enforce on untrusted input. All are options; defaults in ./constants. */
export interface CodecLimits {
  /** Largest frame accepted, in bytes; checked before any decoding. */
  maxFrameBytes: number;
  /** Largest `length` of an encoded tensor, in elements. */
  maxTensorLength: number;
  /** Largest `work.indices` length and `push.samples`. */
  maxBatch: number;
  /** Largest string anywhere in a frame, in characters (UTF-8 bytes ≤ 4× this). */
  maxStringLength: number;
  /** Largest array or map anywhere in a frame, in entries. */
  maxArrayLength: number;
  /** Deepest nesting of arrays/maps in a frame. */
  maxDepth: number;
  /** Most msgpack values in one frame. */
  maxNodes: number;
  /** Most values in `done.summary`. */
  maxSummaryNodes: number;
}

export const DEFAULT_LIMITS: Readonly<CodecLimits> = Object.freeze({
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  maxTensorLength: DEFAULT_MAX_TENSOR_LENGTH,
  maxBatch: DEFAULT_MAX_BATCH,
  maxStringLength: DEFAULT_MAX_STRING_LENGTH,
  maxArrayLength: DEFAULT_MAX_ARRAY_LENGTH,
  maxDepth: DEFAULT_MAX_DEPTH,
  maxNodes: DEFAULT_MAX_NODES,
  maxSummaryNodes: DEFAULT_MAX_SUMMARY_NODES,
});

/**
 * Fills defaults. A limit that is not a positive integer is a programming error of the caller (not
 * untrusted input), so it throws a RangeError rather than a ProtocolError.
 */
export function resolveLimits(limits?: Partial<CodecLimits>): Readonly<CodecLimits> {
  if (!limits) return DEFAULT_LIMITS;
  const out = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof CodecLimits)[]) {
    const value = limits[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`limit ${key} must be a positive integer`);
    out[key] = value;
  }
  return out;
}
