import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@dtrain/common';
import { CodedError, silentLogger } from '@dtrain/common';
import type { CheckpointState } from './checkpoint-state';

/** Every code checkpoint reading, writing and restoring throws, with its meaning (docs/error-codes.md). */
export const CHECKPOINT_ERROR_CODES = {
  CKPT_ERR_CORRUPT: 'A checkpoint file is torn or corrupted (bad magic, checksum, header or blob table); resuming skips it.',
  CKPT_ERR_WRITE: 'A checkpoint could not be written (disk full, permissions); training goes on and retries at the next one.',
  CKPT_ERR_NOT_FINITE: 'A checkpoint holds non-finite weights or optimizer state (it could only train NaN); resuming skips it for the next older one.',
  CKPT_ERR_MISMATCH: 'A checkpoint belongs to another run (weight count, sample slots, seed) than the server was started with.',
} as const satisfies Record<string, string>;

/** Refuses a state whose weights or optimizer slots hold NaN or ±Inf (CKPT_ERR_NOT_FINITE). */
export function checkFiniteState(s: CheckpointState): void {
  const arrays: [string, Float32Array][] = [['weights', s.store.weights], ...Object.entries(s.store.optimizer.slots).map(([k, v]) => [`optimizer ${k}`, v] as [string, Float32Array])];
  for (const [what, a] of arrays) {
    for (let i = 0; i < a.length; i++) {
      if (!Number.isFinite(a[i]!)) throw new CheckpointError('CKPT_ERR_NOT_FINITE', `${what}[${i}] is ${a[i]}`, { what, index: i });
    }
  }
}

export type CheckpointErrorCode = keyof typeof CHECKPOINT_ERROR_CODES;

export class CheckpointError extends CodedError<CheckpointErrorCode> {}

/** File layout: MAGIC | u32 header length | JSON header | f32 blobs (4-byte aligned) | sha256 of all before. */
const MAGIC = Buffer.from('DTCKPT1\n', 'ascii');
const DIGEST_BYTES = 32;
const FILE_RE = /^checkpoint-(\d{12})\.bin$/;

interface BlobRef {
  $f32: number;
}

function pack(value: unknown, blobs: Float32Array[]): unknown {
  if (value instanceof Float32Array) {
    blobs.push(value);
    return { $f32: blobs.length - 1 } satisfies BlobRef;
  }
  if (Array.isArray(value)) return value.map((v) => pack(v, blobs));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = pack(v, blobs);
    return out;
  }
  return value;
}

function unpack(value: unknown, blobs: Float32Array[]): unknown {
  if (Array.isArray(value)) return value.map((v) => unpack(v, blobs));
  if (value && typeof value === 'object') {
    const ref = (value as Partial<BlobRef>).$f32;
    if (typeof ref === 'number') {
      const b = blobs[ref];
      if (!b) throw new CheckpointError('CKPT_ERR_CORRUPT', `missing blob ${ref}`);
      return b;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = unpack(v, blobs);
    return out;
  }
  return value;
}

export function encodeCheckpoint(state: CheckpointState): Buffer {
  const blobs: Float32Array[] = [];
  const tree = pack(state, blobs);
  const header = Buffer.from(JSON.stringify({ tree, blobs: blobs.map((b) => b.length) }), 'utf8');
  const pad = (4 - ((MAGIC.length + 4 + header.length) % 4)) % 4;
  // Padding is JSON whitespace, so the header parses as is.
  const parts: Buffer[] = [MAGIC, Buffer.alloc(4), header, Buffer.alloc(pad, 0x20)];
  parts[1]!.writeUInt32LE(header.length + pad, 0);
  for (const b of blobs) parts.push(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

export function decodeCheckpoint(file: Buffer): CheckpointState {
  const bad = (why: string): never => {
    throw new CheckpointError('CKPT_ERR_CORRUPT', why);
  };
  if (file.length < MAGIC.length + 4 + DIGEST_BYTES || !file.subarray(0, MAGIC.length).equals(MAGIC)) bad('not a checkpoint (bad magic or too short)');
  const body = file.subarray(0, file.length - DIGEST_BYTES);
  if (!createHash('sha256').update(body).digest().equals(file.subarray(file.length - DIGEST_BYTES))) bad('checksum mismatch (torn or corrupted write)');
  const headerLen = body.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  if (start + headerLen > body.length) bad('header runs past the end');
  let header: { tree: unknown; blobs: number[] };
  try {
    header = JSON.parse(body.subarray(start, start + headerLen).toString('utf8'));
  } catch {
    return bad('header is not JSON');
  }
  if (!Array.isArray(header.blobs)) bad('header has no blob table');
  let offset = start + headerLen;
  const blobs = header.blobs.map((n) => {
    if (!Number.isInteger(n) || n < 0 || offset + n * 4 > body.length) bad('blob table does not match the file');
    // Copy into a fresh, aligned buffer: the file buffer's offset need not be 4-aligned.
    const out = new Float32Array(n);
    new Uint8Array(out.buffer).set(body.subarray(offset, offset + n * 4));
    offset += n * 4;
    return out;
  });
  if (offset !== body.length) bad('trailing bytes after the blobs');
  return unpack(header.tree, blobs) as CheckpointState;
}

/**
 * Checkpoints in a directory, written atomically (temp file, fsync, rename, fsync of the directory)
 * so a crash leaves either the old or the new file; reading skips torn files with a warning.
 */
export class CheckpointStore {
  constructor(
    readonly dir: string,
    private readonly opts: { keep: number; log?: Logger } = { keep: 3 },
  ) {}

  async save(state: CheckpointState): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const name = `checkpoint-${String(state.updates).padStart(12, '0')}.bin`;
    const final = join(this.dir, name);
    const tmp = join(this.dir, `.${name}.${process.pid}.tmp`);
    try {
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(encodeCheckpoint(state));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, final);
      const dh = await open(this.dir, 'r');
      try {
        await dh.sync();
      } finally {
        await dh.close();
      }
    } catch (err) {
      await rm(tmp, { force: true });
      throw new CheckpointError('CKPT_ERR_WRITE', `cannot write checkpoint ${final}: ${(err as Error).message}`, { path: final }, { cause: err });
    }
    await this.prune();
    return final;
  }

  /**
   * The newest checkpoint that reads back whole and that `accept` (default: checkFiniteState) does not
   * refuse; torn, corrupt or poisoned ones are skipped with a warning that names the next one tried.
   */
  async loadLatest(accept: (s: CheckpointState) => void = checkFiniteState): Promise<{ state: CheckpointState; path: string } | undefined> {
    const log = this.opts.log ?? silentLogger;
    const names = (await this.list()).reverse();
    for (const [i, name] of names.entries()) {
      const path = join(this.dir, name);
      try {
        const state = decodeCheckpoint(await readFile(path));
        accept(state);
        return { state, path };
      } catch (err) {
        const next = names[i + 1];
        log.warn('skipping unreadable checkpoint', { path, error: (err as Error).message, next: next ? join(this.dir, next) : null });
      }
    }
    return undefined;
  }

  async list(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    return names.filter((n) => FILE_RE.test(n)).sort();
  }

  private async prune(): Promise<void> {
    const names = await this.list();
    for (const n of names.slice(0, Math.max(0, names.length - this.opts.keep))) await rm(join(this.dir, n), { force: true });
  }
}
