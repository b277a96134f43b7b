/**
 * What the engine reads from its runtime, in a form that works in Node and in a browser tab (where
 * there is no `process` and no `Buffer`; the browser worker bundles this library).
 */

/** An environment variable in Node; undefined in a browser. */
export function envVar(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}

/** Base64 to bytes with Node's Buffer where there is one, else the browser's atob. */
export function base64Bytes(b64: string): Uint8Array {
  const B = (globalThis as { Buffer?: { from(s: string, enc: string): Uint8Array } }).Buffer;
  if (B) return B.from(b64, 'base64');
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
