import { createRng, type Rng } from '@dtrain/common';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from './codec';
import type { Message } from './messages';
import { PROTOCOL_ERROR_CODES, ProtocolError } from './protocol-error';
import { sampleMessages } from './testing';
import { validateMessage } from './validate-message';

/**
 * Every input must either decode to a message that validates again and round-trips, or throw a
 * ProtocolError with a documented code. Anything else (TypeError, RangeError, a hang) fails the test.
 */
type Outcome = 'accepted' | 'rejected';
const packr = new Packr({ useRecords: false });

function attempt(run: () => Message): Outcome {
  let msg: Message;
  try {
    msg = run();
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    expect(PROTOCOL_ERROR_CODES).toContain(err.code);
    return 'rejected';
  }
  expect(validateMessage(msg)).toEqual(msg);
  expect(decodeMessage(encodeMessage(msg))).toEqual(msg);
  return 'accepted';
}

const decodes = (frame: Uint8Array): Outcome => attempt(() => decodeMessage(frame));

function randomBytes(rng: Rng, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => rng.int(256));
}

const WEIRD: unknown[] = [
  NaN, Infinity, -Infinity, -1, 1.5, 2 ** 53, 2 ** 64, -(2 ** 63), 0, '', 'x'.repeat(2000), [], {}, null, true,
  [1, 'a'], { codec: 'fp32' }, new Uint8Array(5), new Uint8Array(8), 'PS_ERR_X', 'fp32', 'delta',
];

function randomJson(rng: Rng, depth: number): unknown {
  const r = rng.int(depth > 3 ? 6 : 9);
  if (r < 6) return WEIRD[rng.int(WEIRD.length)];
  if (r < 7) return Array.from({ length: rng.int(4) }, () => randomJson(rng, depth + 1));
  const keys = ['type', 'v', 'payload', 'codec', 'length', 'data', 'step', 'grad', 'indices', 'x'];
  const o: Record<string, unknown> = {};
  for (let i = rng.int(5); i > 0; i--) o[keys[rng.int(keys.length)] as string] = randomJson(rng, depth + 1);
  if (rng.next() < 0.5) o.v = 1;
  return o;
}

/** Replaces one field (possibly nested one level, e.g. inside a tensor) with a weird value, or removes it. */
function mutate(msg: Message, rng: Rng): Record<string, unknown> {
  const out: Record<string, unknown> = { ...msg };
  const keys = Object.keys(out);
  const key = keys[rng.int(keys.length)] as string;
  const inner = out[key];
  const replacement = rng.next() < 0.1 ? undefined : WEIRD[rng.int(WEIRD.length)];
  if (inner && typeof inner === 'object' && !ArrayBuffer.isView(inner) && !Array.isArray(inner) && rng.next() < 0.6) {
    const copy: Record<string, unknown> = { ...(inner as Record<string, unknown>) };
    const ik = Object.keys(copy);
    copy[ik[rng.int(ik.length)] as string] = replacement;
    out[key] = copy;
  } else {
    out[key] = replacement;
  }
  return out;
}

describe('decodeMessage fuzz (seeded)', () => {
  const rng = createRng(20240601);
  const samples = Object.values(sampleMessages(createRng(5), 9));
  const frames = samples.map((m) => new Uint8Array(encodeMessage(m)));
  const pick = <T>(xs: T[]): T => xs[rng.int(xs.length)] as T;
  const tally = (label: string, n: number, one: () => Outcome): Record<Outcome, number> => {
    const counts = { accepted: 0, rejected: 0 };
    for (let i = 0; i < n; i++) counts[one()]++;
    expect(counts.accepted + counts.rejected, label).toBe(n);
    return counts;
  };

  it('random bytes', () => {
    const c = tally('random', 2000, () => decodes(randomBytes(rng, rng.int(300))));
    expect(c.rejected).toBe(2000);
  });

  it('random bytes behind a map header', () => {
    tally('map-prefixed', 1000, () => decodes(Uint8Array.from([0x80 + rng.int(16), ...randomBytes(rng, rng.int(200))])));
  });

  it('truncated valid frames', () => {
    const c = tally('truncated', 2000, () => {
      const f = pick(frames);
      return decodes(f.subarray(0, rng.int(f.length)));
    });
    expect(c.rejected).toBe(2000);
  });

  it('bit-flipped valid frames', () => {
    const c = tally('bitflip', 2500, () => {
      const f = pick(frames).slice();
      for (let k = 1 + rng.int(3); k > 0; k--) {
        const at = rng.int(f.length);
        f[at] = (f[at] as number) ^ (1 << rng.int(8));
      }
      return decodes(f);
    });
    // Flips inside values (a seed, a float) still make valid messages; flips in structure do not.
    expect(c.accepted).toBeGreaterThan(0);
    expect(c.rejected).toBeGreaterThan(0);
  });

  it('valid msgpack of random JSON-ish values', () => {
    tally('json', 1500, () => decodes(packr.pack(randomJson(rng, 0))));
  });

  it('messages with one field mutated, through the codec and through validateMessage', () => {
    const c = tally('mutated', 2000, () => {
      const bad = mutate(pick(samples), rng);
      if (rng.next() < 0.5) return attempt(() => validateMessage(bad));
      return decodes(packr.pack(bad));
    });
    expect(c.rejected).toBeGreaterThan(1000);
  });

  it('still decodes valid frames after all that', () => {
    for (const [i, f] of frames.entries()) expect(decodeMessage(f)).toEqual(samples[i]);
  });
});
