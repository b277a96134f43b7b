/**
 * How a client proves the token at the WebSocket upgrade, before any frame. Node clients send
 * `Authorization: Bearer <token>`; a browser cannot set headers on a WebSocket, so it offers two
 * subprotocols instead: `dtrain.v1` and `dtrain.bearer.<token as base64url>`. The server checks
 * the token and selects `dtrain.v1`, so the token is never echoed in the response.
 */

/** The subprotocol the server selects for a client that offered it. */
export const WS_SUBPROTOCOL = 'dtrain.v1';
/** Prefix of the subprotocol that carries the token (base64url of its UTF-8 bytes, no padding). */
export const BEARER_SUBPROTOCOL_PREFIX = 'dtrain.bearer.';

/** base64url without padding; the alphabet is valid in an HTTP token (RFC 7230), as subprotocols must be. */
function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The subprotocols a browser offers to authenticate with `token`. */
export function bearerSubprotocols(token: string): string[] {
  return [WS_SUBPROTOCOL, BEARER_SUBPROTOCOL_PREFIX + toBase64Url(new TextEncoder().encode(token))];
}

/**
 * The token in an offered subprotocol list (`Sec-WebSocket-Protocol`, comma separated), or
 * `undefined` when none carries one; `null` when one does but it does not decode (a refusal).
 */
export function tokenFromSubprotocols(header: string | undefined): string | undefined | null {
  if (header === undefined) return undefined;
  const offered = header.split(',').map((p) => p.trim());
  const carrier = offered.find((p) => p.startsWith(BEARER_SUBPROTOCOL_PREFIX));
  if (carrier === undefined) return undefined;
  const bytes = fromBase64Url(carrier.slice(BEARER_SUBPROTOCOL_PREFIX.length));
  if (!bytes) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** The `Authorization` header value that presents `token` (Node clients, and a page's fetches). */
export function bearerHeader(token: string): string {
  return `Bearer ${token}`;
}

/**
 * The token in an `Authorization` header: `undefined` when there is no header, `null` when it is
 * not `Bearer <token>` (a refusal, like a wrong token).
 */
export function tokenFromBearerHeader(header: string | undefined): string | undefined | null {
  if (header === undefined) return undefined;
  return /^Bearer (.+)$/.exec(header)?.[1] ?? null;
}

/**
 * The browser worker's HTTP routes on the server's port: the page, its program, the token check
 * (204 or 401: lets a page tell a wrong token from a server that is down) and the training split.
 * The server serves them and the page calls them, so they are named once, here.
 */
export const WORKER_ROUTES = { page: '/worker', script: '/worker.js', token: '/worker/token', data: '/worker/data/train', wasm: '/worker/wasm' } as const;
