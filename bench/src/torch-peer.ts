import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The Debian python3-torch interpreter; a venv python would not see the system package. */
export const PEER_PYTHON = '/usr/bin/python3';
/** PyTorch timing run can take a while on a busy 2-core box; beyond this we report it as failed. */
const PEER_TIMEOUT_MS = 180_000;

export type PeerResult =
  | { available: true; samples_per_s: number; ms_per_step: number; /** Absent in runs recorded before the BLAS was checked. */ blas?: PeerBlas; raw: Record<string, unknown> }
  | { available: false; reason: string };

/** Which BLAS the peer's torch runs on: Debian links it through the libblas.so.3 alternative. */
export interface PeerBlas {
  /** Where /usr/lib/<arch>/libblas.so.3 resolves (the alternatives system's choice). */
  library: string;
  /** BLAS_INFO from torch.__config__.show() (the build's view; Debian's says 'generic' either way). */
  buildInfo: string;
  /** An optimised BLAS (OpenBLAS, BLIS, MKL); the reference BLAS is ~1.5× slower and no fair peer. */
  optimised: boolean;
}

const BLAS_PROBE = [
  'import ctypes.util, glob, os, re, torch',
  'libs = glob.glob("/usr/lib/*-linux-gnu/libblas.so.3")',
  'lib = os.path.realpath(libs[0]) if libs else (ctypes.util.find_library("blas") or "")',
  'm = re.search(r"BLAS_INFO=([^,\\s]+)", torch.__config__.show())',
  'print(lib); print(m.group(1) if m else "unknown")',
].join('\n');

/** Asks the peer's interpreter which BLAS its torch will use. */
export function peerBlas(): PeerBlas | { error: string } {
  const r = spawnSync(PEER_PYTHON, ['-c', BLAS_PROBE], { encoding: 'utf8' });
  if (r.status !== 0) return { error: `BLAS probe failed: ${r.stderr.slice(-300)}` };
  const [library = '', buildInfo = 'unknown'] = r.stdout.trim().split('\n');
  return { library, buildInfo, optimised: /openblas|blis|mkl/i.test(library) || /openblas|mkl|blis/i.test(buildInfo) };
}

/** Runs the PyTorch peer benchmark once (1 process × 1 thread unless told otherwise) and parses its JSON line. */
export function runTorchPeer(script: string, args: string[]): PeerResult {
  if (!existsSync(script)) return { available: false, reason: `peer script not found at ${script}` };
  const probe = spawnSync(PEER_PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return { available: false, reason: `${PEER_PYTHON} cannot import torch` };
  const blas = peerBlas();
  if ('error' in blas) return { available: false, reason: blas.error };
  // A peer on the reference BLAS is no peer: it made earlier ratios look ~1.5x better than they were.
  if (!blas.optimised) return { available: false, reason: `torch runs on the reference BLAS (${blas.library}); install libopenblas0-pthread` };
  const run = spawnSync(PEER_PYTHON, [script, ...args], { encoding: 'utf8', timeout: PEER_TIMEOUT_MS });
  if (run.status !== 0) return { available: false, reason: `peer exited with ${run.status ?? run.signal}: ${run.stderr.slice(-500)}` };
  const line = run.stdout.trim().split('\n').pop() ?? '';
  try {
    const raw = JSON.parse(line) as Record<string, unknown>;
    return { available: true, samples_per_s: Number(raw.samples_per_s), ms_per_step: Number(raw.ms_per_step), blas, raw };
  } catch {
    return { available: false, reason: `peer printed no JSON: ${line.slice(0, 200)}` };
  }
}
