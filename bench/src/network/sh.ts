/**
 * Synchronous command runners for the topology: it is built and torn down with `ip` and `tc`, and
 * a synchronous teardown is what a SIGINT handler or an `exit` hook can still run to completion.
 */
import { execFileSync } from 'node:child_process';

/** Runs a command; throws with its stderr on failure. */
export function sh(cmd: string, args: readonly string[], input?: string): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...(input !== undefined ? { input } : {}) });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(e.stderr ?? '').trim() || e.message}`);
  }
}

/** Runs a command and ignores its failure (teardown of what may not exist). */
export function shQuiet(cmd: string, args: readonly string[]): void {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
  } catch {
    // Nothing to remove is the usual reason.
  }
}

/**
 * Commands for `ip -batch` / `tc -batch`, grouped by the namespace they run in (`-n NS` is a global
 * option, not allowed on a batch line). One exec per command costs ~5 ms, which adds up to seconds
 * at 32 workers; one batch per namespace costs one. The root namespace's batch runs first (it
 * creates the veth pairs straight into their namespaces), then each namespace's in insertion order.
 * The first failing line stops its batch and is named in the error.
 */
export class NsBatch {
  private readonly lines = new Map<string, string[]>([['', []]]);

  constructor(private readonly tool: 'ip' | 'tc') {}

  /** A command in namespace `ns` ('' = the root namespace), without the tool's name. */
  add(ns: string, line: string): void {
    const l = this.lines.get(ns) ?? [];
    l.push(line);
    this.lines.set(ns, l);
  }

  run(): void {
    for (const [ns, lines] of this.lines) {
      if (lines.length > 0) sh(this.tool, [...(ns ? ['-n', ns] : []), '-batch', '-'], lines.join('\n') + '\n');
    }
  }
}
