/** Bytes holding n sign bits. */
export const signBytes = (n: number): number => Math.ceil(n / 8);

/**
 * Scaled sign (1 bit per element, as in EF-signSGD): bit i of byte ⌊i/8⌋ set means negative, and
 * every element of a chunk decodes to ±s with s = fround(mean |x|) over the chunk — the scale that
 * minimises the squared error of a sign code. 32× smaller than fp32. Only meaningful with error
 * feedback (gradients) or the server's replica (weight deltas): the error of one message is of the
 * size of the message, and it is the carried error that makes the sum right over steps.
 */
export function encodeSign(x: Float32Array, chunk: number): { scales: Float32Array; data: Uint8Array } {
  const n = x.length;
  const chunks = Math.ceil(n / chunk);
  const scales = new Float32Array(chunks);
  const data = new Uint8Array(signBytes(n));
  for (let c = 0; c < chunks; c++) {
    const start = c * chunk;
    const end = Math.min(n, start + chunk);
    let sum = 0;
    for (let i = start; i < end; i++) sum += Math.abs(x[i]!);
    scales[c] = Math.fround(sum / (end - start));
  }
  // x < 0 rather than the float's sign bit: −0 is no direction, it encodes as +s like +0.
  for (let i = 0; i < n; i++) if (x[i]! < 0) data[i >> 3]! |= 1 << (i & 7);
  return { scales, data };
}

/** `out[i] = (assign ? 0 : out[i]) + weight · (bit i ? −1 : 1) · scales[⌊i/chunk⌋]`. */
export function signInto(out: Float32Array, data: Uint8Array, scales: Float32Array, chunk: number, weight: number, assign: boolean): void {
  const n = out.length;
  for (let c = 0, start = 0; start < n; c++, start += chunk) {
    const end = Math.min(n, start + chunk);
    const s = weight * scales[c]!;
    for (let i = start; i < end; i++) {
      // 1 − 2·bit: +1 or −1 without a branch.
      const v = s * (1 - (((data[i >> 3]! >> (i & 7)) & 1) << 1));
      if (assign) out[i] = v;
      else out[i]! += v;
    }
  }
}
