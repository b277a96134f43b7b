/** Elements per early-exit check in isAllFinite: long enough to keep the inner loop branch-free. */
const FINITE_CHUNK = 4096;

/**
 * True when no element is NaN or ±Infinity. The inner loop is branch-free (x·0 is ±0 for finite x and
 * NaN otherwise) with an early exit every few thousand elements.
 */
export function isAllFinite(a: Float32Array): boolean {
  const n = a.length;
  for (let start = 0; start < n; start += FINITE_CHUNK) {
    const end = Math.min(n, start + FINITE_CHUNK);
    let acc = 0;
    for (let i = start; i < end; i++) acc += a[i]! * 0;
    if (acc !== 0) return false;
  }
  return true;
}

/**
 * A fast 64-bit content hash of the array's bytes (host byte order) as 16 hex digits, used to prove
 * weights unchanged (checkpoints, frozen layers, replicas in sync). Two independent 32-bit lanes over
 * 32-bit words: FNV-1a, and a Murmur3-style mix; the length is folded in. Not cryptographic.
 * Distinguishes -0 from 0 and different NaN payloads, as a byte hash should.
 */
export function checksum(a: Float32Array): string {
  const words = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const n = words.length;
  let h1 = 0x811c9dc5; // FNV-1a 32-bit offset basis
  let h2 = n ^ 0x9747b28c;
  for (let i = 0; i < n; i++) {
    const w = words[i]!;
    h1 = Math.imul(h1 ^ w, 0x01000193); // FNV prime
    let k = Math.imul(w, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h2 ^= Math.imul(k, 0x1b873593);
    h2 = (h2 << 13) | (h2 >>> 19);
    h2 = (Math.imul(h2, 5) + 0xe6546b64) | 0;
  }
  h1 = Math.imul(h1 ^ n, 0x01000193);
  // Murmur3 finaliser so every input bit reaches every output bit of lane 2.
  h2 ^= h2 >>> 16;
  h2 = Math.imul(h2, 0x85ebca6b);
  h2 ^= h2 >>> 13;
  h2 = Math.imul(h2, 0xc2b2ae35);
  h2 ^= h2 >>> 16;
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}
