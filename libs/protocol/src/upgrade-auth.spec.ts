import { describe, expect, it } from 'vitest';
import { BEARER_SUBPROTOCOL_PREFIX, WS_SUBPROTOCOL, bearerHeader, bearerSubprotocols, tokenFromBearerHeader, tokenFromSubprotocols } from './upgrade-auth';

describe('token at the upgrade, as a subprotocol', () => {
  it('round-trips any token, including non-ASCII and every base64 padding length', () => {
    for (const token of ['a', 'ab', 'abc', 'correct-horse-battery-staple', 'tøken with spaces/+=', 'x'.repeat(512)]) {
      const offered = bearerSubprotocols(token);
      expect(offered[0]).toBe(WS_SUBPROTOCOL);
      // Only HTTP token characters: a browser refuses a subprotocol with others.
      expect(offered[1]).toMatch(/^[A-Za-z0-9._-]+$/);
      expect(tokenFromSubprotocols(offered.join(', '))).toBe(token);
    }
  });

  it('says none when no offered subprotocol carries a token, and refuses one that does not decode', () => {
    expect(tokenFromSubprotocols(undefined)).toBeUndefined();
    expect(tokenFromSubprotocols(`${WS_SUBPROTOCOL}, other`)).toBeUndefined();
    expect(tokenFromSubprotocols(`${BEARER_SUBPROTOCOL_PREFIX}a`)).toBeNull(); // a length no base64 has
    expect(tokenFromSubprotocols(`${BEARER_SUBPROTOCOL_PREFIX}ab+c`)).toBeNull(); // not base64url
    expect(tokenFromSubprotocols(`${BEARER_SUBPROTOCOL_PREFIX}_w`)).toBeNull(); // 0xff: not UTF-8
  });

  it('reads the Authorization header it writes, and refuses any other scheme', () => {
    expect(tokenFromBearerHeader(bearerHeader('a-token with spaces'))).toBe('a-token with spaces');
    expect(tokenFromBearerHeader(undefined)).toBeUndefined();
    expect(tokenFromBearerHeader('Basic abc')).toBeNull();
    expect(tokenFromBearerHeader('Bearer ')).toBeNull();
  });
});
