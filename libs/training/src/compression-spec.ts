import { INT8_DEFAULT_CHUNK, MAX_CHUNK, PACKED_DEFAULT_CHUNK, SIGN_DEFAULT_CHUNK } from './constants';
import type { PackedIntKind } from './packed-int';
import { TrainingError } from './training-error';

/**
 * How a tensor travels: `none` (float32 as is), `fp16` (half precision, RNE), `int8` and the packed
 * `int4` / `int3` / `int2` (per-chunk absmax scaling, `chunk` elements per scale), `sign` (1 bit per
 * element times the chunk's mean |x|) or `topk` (only the round(ratio·n) largest magnitudes, at least one, with their indices).
 */
export type CompressionSpec =
  | { kind: 'none' }
  | { kind: 'fp16' }
  | { kind: ChunkedKind; chunk?: number }
  | { kind: 'topk'; ratio: number };

/** Codecs that scale per chunk of elements and take an optional `:<chunk>`. */
export type ChunkedKind = 'int8' | PackedIntKind | 'sign';
const DEFAULT_CHUNK: Record<ChunkedKind, number> = {
  int8: INT8_DEFAULT_CHUNK,
  int4: PACKED_DEFAULT_CHUNK,
  int3: PACKED_DEFAULT_CHUNK,
  int2: PACKED_DEFAULT_CHUNK,
  sign: SIGN_DEFAULT_CHUNK,
};
const CHUNKED = Object.keys(DEFAULT_CHUNK) as ChunkedKind[];
const isChunked = (kind: unknown): kind is ChunkedKind => (CHUNKED as unknown[]).includes(kind);

/** Every kind this build encodes and decodes: what a worker lists in its join capabilities. */
export const COMPRESSION_KINDS: readonly CompressionSpec['kind'][] = Object.freeze(['none', 'fp16', ...CHUNKED, 'topk']);

/** A plain decimal (no hex, no Infinity, no empty string) so a typo never silently parses. */
const DECIMAL = /^(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

const bad = (s: string, why: string): never => {
  throw new TrainingError('TRAIN_ERR_BAD_COMPRESSION', `bad compression '${s}': ${why}`, { spec: s });
};

/** Parses 'none' | 'fp16' | 'int8[:chunk]' | 'int4[:chunk]' | 'int3[:chunk]' | 'int2[:chunk]' | 'sign[:chunk]' | 'topk:<ratio>' (0 < ratio ≤ 1), else TRAIN_ERR_BAD_COMPRESSION. */
export function parseCompression(s: string): CompressionSpec {
  if (typeof s !== 'string') return bad(String(s), 'not a string');
  const [kind, arg, ...rest] = s.trim().toLowerCase().split(':');
  if (rest.length > 0) return bad(s, 'too many parts');
  if ((kind === 'none' || kind === 'fp16') && arg === undefined) return { kind };
  if (isChunked(kind)) {
    if (arg === undefined) return { kind };
    if (!/^\d+$/.test(arg)) return bad(s, 'chunk must be a positive integer');
    return checkCompression({ kind, chunk: Number(arg) }, s);
  }
  if (kind === 'topk') {
    if (arg === undefined || !DECIMAL.test(arg)) return bad(s, "expected 'topk:<ratio>' with 0 < ratio ≤ 1");
    return checkCompression({ kind, ratio: Number(arg) }, s);
  }
  return bad(s, "expected 'none', 'fp16', 'int8|int4|int3|int2|sign[:chunk]' or 'topk:<ratio>'");
}

/** Validates a spec object (e.g. from a config file or a Hello message) and returns it; `text` names it in errors. */
export function checkCompression(spec: CompressionSpec, text: string = JSON.stringify(spec)): CompressionSpec {
  if (isChunked(spec?.kind)) {
    const chunk = 'chunk' in spec ? spec.chunk : undefined;
    if (chunk !== undefined && !(Number.isInteger(chunk) && chunk >= 1 && chunk <= MAX_CHUNK)) {
      return bad(text, `${spec.kind} chunk must be an integer in [1, ${MAX_CHUNK}]`);
    }
    return spec;
  }
  switch (spec?.kind) {
    case 'none':
    case 'fp16':
      return spec;
    case 'topk':
      if (!(typeof spec.ratio === 'number' && spec.ratio > 0 && spec.ratio <= 1)) return bad(text, 'topk ratio must be in (0, 1]');
      return spec;
    default:
      return bad(text, 'unknown kind');
  }
}

/** The canonical string form, which `parseCompression` maps back to an equal spec. */
export function formatCompression(spec: CompressionSpec): string {
  if (spec.kind === 'topk') return `topk:${spec.ratio}`;
  if (isChunked(spec.kind) && 'chunk' in spec && spec.chunk !== undefined) return `${spec.kind}:${spec.chunk}`;
  return spec.kind;
}

/** Elements top-k keeps of n: round(ratio·n), at least 1 (for n > 0), at most n. Rounding, not ceil, so 0.07·100 is 7. */
export function topkCount(ratio: number, n: number): number {
  if (n === 0) return 0;
  return Math.min(n, Math.max(1, Math.round(ratio * n)));
}

/** The chunk a chunked spec uses: its own, or the codec's default. */
export function chunkOf(spec: { kind: ChunkedKind; chunk?: number }): number {
  return spec.chunk ?? DEFAULT_CHUNK[spec.kind];
}
