import { fieldError } from './protocol-error';
import { isPlainObject } from './fields';
import type { CodecLimits } from './limits';

/**
 * A clean deep copy of a JSON-like value (null, boolean, finite number, string, array, plain object),
 * bounded by `maxNodes` values and the frame limits. Used for payloads the protocol carries but does
 * not interpret (model config, run summary). Depth is bounded too, so cycles cannot loop.
 */
export function cleanJson(x: unknown, field: string, limits: Readonly<CodecLimits>, maxNodes: number): unknown {
  let nodes = 0;
  const visit = (value: unknown, path: string, depth: number): unknown => {
    if (++nodes > maxNodes) throw fieldError('PROTO_ERR_TOO_LONG', field, `more than ${maxNodes} values`, { limit: maxNodes });
    if (depth > limits.maxDepth) {
      throw fieldError('PROTO_ERR_TOO_LONG', path, `nested deeper than ${limits.maxDepth}`, { limit: limits.maxDepth });
    }
    if (value === null || typeof value === 'boolean') return value;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw fieldError('PROTO_ERR_NOT_FINITE', path, 'must be finite');
      return value;
    }
    if (typeof value === 'string') {
      if (value.length > limits.maxStringLength) {
        throw fieldError('PROTO_ERR_TOO_LONG', path, 'string too long', { limit: limits.maxStringLength });
      }
      return value;
    }
    if (Array.isArray(value)) {
      if (value.length > limits.maxArrayLength) {
        throw fieldError('PROTO_ERR_TOO_LONG', path, 'array too long', { limit: limits.maxArrayLength });
      }
      return value.map((item, i) => visit(item, `${path}[${i}]`, depth + 1));
    }
    if (isPlainObject(value)) {
      const keys = Object.keys(value);
      if (keys.length > limits.maxArrayLength) {
        throw fieldError('PROTO_ERR_TOO_LONG', path, 'too many keys', { limit: limits.maxArrayLength });
      }
      const out: Record<string, unknown> = {};
      for (const key of keys) {
        // defineProperty, not assignment: a key named "__proto__" must stay data, never become a prototype.
        Object.defineProperty(out, key, {
          value: visit(value[key], `${path}.${key}`, depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    throw fieldError('PROTO_ERR_BAD_FIELD', path, 'expected JSON-like data');
  };
  return visit(x, field, 0);
}
