import { fieldError } from './protocol-error';
import type { CodecLimits } from './limits';

type Plain = Record<string, unknown>;

/** True for `{}`-like objects: what msgpack maps decode to, and not arrays, typed arrays, Maps or class instances. */
export function isPlainObject(x: unknown): x is Plain {
  if (typeof x !== 'object' || x === null) return false;
  const proto = Object.getPrototypeOf(x) as unknown;
  return proto === Object.prototype || proto === null;
}

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);

/**
 * Typed reads of one untrusted object. Each read either returns a value of the promised type and
 * range, or throws a ProtocolError naming the field by its dotted path. Only own properties are read,
 * so nothing on a prototype can stand in for a missing field.
 */
export class Fields {
  constructor(
    private readonly obj: Plain,
    readonly path: string,
    readonly limits: Readonly<CodecLimits>,
  ) {}

  field(key: string): string {
    return join(this.path, key);
  }

  raw(key: string): unknown {
    return Object.hasOwn(this.obj, key) ? this.obj[key] : undefined;
  }

  /** Optional fields: absent, undefined and nil all mean "not given" (other encoders write nil). */
  has(key: string): boolean {
    const x = this.raw(key);
    return x !== undefined && x !== null;
  }

  optional<T>(key: string, read: (key: string) => T): T | undefined {
    return this.has(key) ? read(key) : undefined;
  }

  object(key: string): Fields {
    const x = this.raw(key);
    if (!isPlainObject(x)) throw fieldError('PROTO_ERR_BAD_FIELD', this.field(key), 'expected an object');
    return new Fields(x, this.field(key), this.limits);
  }

  number(key: string): number {
    const x = this.raw(key);
    if (typeof x !== 'number') throw fieldError('PROTO_ERR_BAD_FIELD', this.field(key), 'expected a number');
    if (!Number.isFinite(x)) throw fieldError('PROTO_ERR_NOT_FINITE', this.field(key), 'must be finite');
    return x;
  }

  /** A finite number in [min, max]. */
  finite(key: string, min = -Infinity, max = Infinity): number {
    const x = this.number(key);
    if (x < min || x > max) throw fieldError('PROTO_ERR_BAD_FIELD', this.field(key), `must be in [${min}, ${max}]`);
    return x;
  }

  /** An integer in [min, max] (defaults: non-negative, safe). */
  int(key: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const x = this.number(key);
    if (!Number.isInteger(x) || x < min || x > max) {
      throw fieldError('PROTO_ERR_BAD_FIELD', this.field(key), `must be an integer in [${min}, ${max}]`);
    }
    return x;
  }

  bool(key: string): boolean {
    const x = this.raw(key);
    if (typeof x !== 'boolean') throw fieldError('PROTO_ERR_BAD_FIELD', this.field(key), 'expected a boolean');
    return x;
  }

  string(key: string, maxLength: number, pattern?: RegExp): string {
    return checkString(this.raw(key), this.field(key), Math.min(maxLength, this.limits.maxStringLength), pattern);
  }

  oneOf<T extends string>(key: string, values: readonly T[]): T {
    const x = this.raw(key);
    if (typeof x !== 'string' || !(values as readonly string[]).includes(x)) {
      throw fieldError('PROTO_ERR_BAD_FIELD', this.field(key), `expected one of ${values.join(', ')}`);
    }
    return x as T;
  }

  /** An array whose length is ≤ maxItems (and ≤ limits.maxArrayLength), each item read by `item`. */
  array<T>(key: string, maxItems: number, item: (x: unknown, field: string) => T): T[] {
    const x = this.raw(key);
    const field = this.field(key);
    if (!Array.isArray(x)) throw fieldError('PROTO_ERR_BAD_FIELD', field, 'expected an array');
    const max = Math.min(maxItems, this.limits.maxArrayLength);
    if (x.length > max) throw fieldError('PROTO_ERR_TOO_LONG', field, `more than ${max} items`, { limit: max });
    const out: T[] = new Array<T>(x.length);
    for (let i = 0; i < x.length; i++) out[i] = item(x[i], `${field}[${i}]`);
    return out;
  }

  /** An array of objects, each read through its own Fields (paths name the item: `parts[2].step`). */
  objects<T>(key: string, maxItems: number, read: (f: Fields) => T): T[] {
    return this.array(key, maxItems, (x, field) => {
      if (!isPlainObject(x)) throw fieldError('PROTO_ERR_BAD_FIELD', field, 'expected an object');
      return read(new Fields(x, field, this.limits));
    });
  }

  /** The object's own keys (for maps with free keys, such as optimizer slots). */
  keys(): string[] {
    return Object.keys(this.obj);
  }
}

export function checkString(x: unknown, field: string, maxLength: number, pattern?: RegExp): string {
  if (typeof x !== 'string') throw fieldError('PROTO_ERR_BAD_FIELD', field, 'expected a string');
  if (x.length > maxLength) throw fieldError('PROTO_ERR_TOO_LONG', field, `longer than ${maxLength}`, { limit: maxLength });
  if (pattern && !pattern.test(x)) throw fieldError('PROTO_ERR_BAD_FIELD', field, `must match ${pattern.source}`);
  return x;
}
