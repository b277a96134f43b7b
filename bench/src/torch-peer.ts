import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The Debian python3-torch interpreter; a venv python would not see the system package. */
export const PEER_PYTHON = '/usr/bin/python3';
/** PyTorch timing run can take a while on a busy 2-core box; beyond this we report it as failed. */
const PEER_TIMEOUT_MS = 180_000;

export type PeerResult =
  | { available: true; samples_per_s: number; ms_per_step: number; raw: Record<string, unknown> }
  | { available: false; reason: string };

/** Runs the PyTorch peer benchmark once (1 process × 1 thread unless told otherwise) and parses its JSON line. */
export function runTorchPeer(script: string, args: string[]): PeerResult {
  if (!existsSync(script)) return { available: false, reason: `peer script not found at ${script}` };
  const probe = spawnSync(PEER_PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return { available: false, reason: `${PEER_PYTHON} cannot import torch` };
  const run = spawnSync(PEER_PYTHON, [script, ...args], { encoding: 'utf8', timeout: PEER_TIMEOUT_MS });
  if (run.status !== 0) return { available: false, reason: `peer exited with ${run.status ?? run.signal}: ${run.stderr.slice(-500)}` };
  const line = run.stdout.trim().split('\n').pop() ?? '';
  try {
    const raw = JSON.parse(line) as Record<string, unknown>;
    return { available: true, samples_per_s: Number(raw.samples_per_s), ms_per_step: Number(raw.ms_per_step), raw };
  } catch {
    return { available: false, reason: `peer printed no JSON: ${line.slice(0, 200)}` };
  }
}
