import { INT8_DEFAULT_CHUNK, INT8_MAX_CHUNK } from './constants';
import { TrainingError } from './training-error';

/**
 * How a tensor travels: `none` (float32 as is), `fp16` (half precision, RNE), `int8` (per-chunk absmax
 * scaling, `chunk` elements per scale, default INT8_DEFAULT_CHUNK) or `topk` (only the round(ratio·n)
 * largest magnitudes, at least one, with their indices).
 */
export type CompressionSpec =
  | { kind: 'none' }
  | { kind: 'fp16' }
  | { kind: 'int8'; chunk?: number }
  | { kind: 'topk'; ratio: number };

/** A plain decimal (no hex, no Infinity, no empty string) so a typo never silently parses. */
const DECIMAL = /^(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

const bad = (s: string, why: string): never => {
  throw new TrainingError('TRAIN_ERR_BAD_COMPRESSION', `bad compression '${s}': ${why}`, { spec: s });
};

/** Parses 'none' | 'fp16' | 'int8' | 'int8:<chunk>' | 'topk:<ratio>' (0 < ratio ≤ 1), else TRAIN_ERR_BAD_COMPRESSION. */
export function parseCompression(s: string): CompressionSpec {
  if (typeof s !== 'string') return bad(String(s), 'not a string');
  const [kind, arg, ...rest] = s.trim().toLowerCase().split(':');
  if (rest.length > 0) return bad(s, 'too many parts');
  if ((kind === 'none' || kind === 'fp16') && arg === undefined) return { kind };
  if (kind === 'int8') {
    if (arg === undefined) return { kind };
    if (!/^\d+$/.test(arg)) return bad(s, 'chunk must be a positive integer');
    return checkCompression({ kind, chunk: Number(arg) });
  }
  if (kind === 'topk') {
    if (arg === undefined || !DECIMAL.test(arg)) return bad(s, "expected 'topk:<ratio>' with 0 < ratio ≤ 1");
    return checkCompression({ kind, ratio: Number(arg) });
  }
  return bad(s, "expected 'none', 'fp16', 'int8[:chunk]' or 'topk:<ratio>'");
}

/** Validates a spec object (e.g. from a config file or a Hello message) and returns it. */
export function checkCompression(spec: CompressionSpec): CompressionSpec {
  const text = JSON.stringify(spec);
  switch (spec?.kind) {
    case 'none':
    case 'fp16':
      return spec;
    case 'int8':
      if (spec.chunk !== undefined && !(Number.isInteger(spec.chunk) && spec.chunk >= 1 && spec.chunk <= INT8_MAX_CHUNK)) {
        return bad(text, `int8 chunk must be an integer in [1, ${INT8_MAX_CHUNK}]`);
      }
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
  if (spec.kind === 'int8' && spec.chunk !== undefined) return `int8:${spec.chunk}`;
  return spec.kind;
}

/** Elements top-k keeps of n: round(ratio·n), at least 1 (for n > 0), at most n. Rounding, not ceil, so 0.07·100 is 7. */
export function topkCount(ratio: number, n: number): number {
  if (n === 0) return 0;
  return Math.min(n, Math.max(1, Math.round(ratio * n)));
}

export function int8Chunk(spec: { chunk?: number }): number {
  return spec.chunk ?? INT8_DEFAULT_CHUNK;
}
