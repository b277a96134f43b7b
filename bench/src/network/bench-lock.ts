/**
 * One network bench at a time on a machine: each run removes every dtn-* namespace at its start,
 * so a second run (a test beside a sweep) would tear down the first one's network. The lock is a
 * file holding the holder's pid; a later run waits for a live holder and takes over a dead one's.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const LOCK = path.join(os.tmpdir(), 'dtn-network-bench.lock');

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Waits (up to `timeoutMs`) until no other live bench holds the lock, then takes it. */
export async function acquireBenchLock(timeoutMs: number, onWait: (holder: number) => void): Promise<void> {
  const until = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      writeFileSync(LOCK, String(process.pid), { flag: 'wx' });
      return;
    } catch {
      const holder = Number(readFileSync(LOCK, 'utf8').trim());
      if (!Number.isInteger(holder) || holder <= 0 || holder === process.pid || !alive(holder)) {
        rmSync(LOCK, { force: true });
        continue;
      }
      if (Date.now() > until) throw new Error(`another network bench (pid ${holder}) has held ${LOCK} for over ${Math.round(timeoutMs / 1000)} s`);
      if (!told) onWait(holder);
      told = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

export function releaseBenchLock(): void {
  try {
    if (Number(readFileSync(LOCK, 'utf8').trim()) === process.pid) rmSync(LOCK, { force: true });
  } catch {
    // Not held.
  }
}
