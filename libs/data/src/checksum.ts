import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { DataError } from './data-error';

/** Expected digests of a file, lowercase hex. Either may be absent; both are checked when present. */
export interface ExpectedChecksum {
  sha256?: string;
  md5?: string;
}

export interface Digests {
  sha256: string;
  md5: string;
}

const HEX_LEN = { md5: 32, sha256: 64 } as const;

/** Reads a bare hex digest, telling MD5 (32 chars) from SHA-256 (64 chars) by length. */
export function checksumFromHex(hex: string, what: string): ExpectedChecksum {
  const h = hex.trim().toLowerCase();
  if (/^[0-9a-f]+$/.test(h)) {
    if (h.length === HEX_LEN.sha256) return { sha256: h };
    if (h.length === HEX_LEN.md5) return { md5: h };
  }
  throw new DataError('DATA_ERR_BAD_SPEC', `${what}: checksum must be 32 (MD5) or 64 (SHA-256) hex characters`, { what });
}

/** Both digests in one pass; MD5 because that is what dataset publishers list, SHA-256 for everything else. */
export class DigestStream {
  private readonly sha = createHash('sha256');
  private readonly md5 = createHash('md5');
  update(chunk: Uint8Array): void {
    this.sha.update(chunk);
    this.md5.update(chunk);
  }
  digest(): Digests {
    return { sha256: this.sha.digest('hex'), md5: this.md5.digest('hex') };
  }
}

export async function hashFile(path: string): Promise<Digests> {
  const d = new DigestStream();
  for await (const chunk of createReadStream(path)) d.update(chunk as Buffer);
  return d.digest();
}

/** Throws DATA_ERR_CHECKSUM naming the first expected digest that differs. */
export function verifyDigests(expected: ExpectedChecksum, actual: Digests, what: string): void {
  for (const algo of ['sha256', 'md5'] as const) {
    const want = expected[algo]?.toLowerCase();
    if (want !== undefined && want !== actual[algo]) {
      throw new DataError('DATA_ERR_CHECKSUM', `${what}: ${algo} is ${actual[algo]}, expected ${want}`, { algorithm: algo, expected: want, actual: actual[algo] });
    }
  }
}

export function hasChecksum(c: ExpectedChecksum): boolean {
  return c.sha256 !== undefined || c.md5 !== undefined;
}
