import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './constants';
import type { RunFlags } from './run-flags';
import { runArgs } from './run-flags';
import type { RunSummary } from './run-summary';
import { parseRunSummary } from './run-summary';

const run = promisify(execFile);

/** `dtrain local` on this machine with the same flags: the reference a containerised run must match. */
export async function runLocalReference(flags: RunFlags, timeoutMs = 5 * 60_000): Promise<RunSummary & { wallMs: number }> {
  const started = performance.now();
  // The model and run files go to a scratch directory, not into the checkout.
  const out = await mkdtemp(join(tmpdir(), 'dtrain-local-ref-'));
  try {
    const { stdout } = await run(process.execPath, [join(REPO_ROOT, 'bin/dtrain.js'), 'local', ...runArgs(flags), '--out', out, '--json'], {
      cwd: REPO_ROOT,
      timeout: timeoutMs,
      maxBuffer: 16 << 20,
    });
    return { ...parseRunSummary(stdout), wallMs: performance.now() - started };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
