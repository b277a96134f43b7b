/**
 * A child process the bench started, with its stdout/stderr kept as lines, its exit awaited with a
 * deadline, and its CPU time read from /proc while it lives (what it used until the last reading).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** utime + stime of a live process in ms, or undefined once it is gone. */
export function procCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / USER_HZ;
  } catch {
    return undefined;
  }
}

export class Child {
  readonly proc: ChildProcess;
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  /** The latest CPU reading, ms. */
  cpuMs = 0;
  private readonly poll: ReturnType<typeof setInterval>;

  constructor(
    readonly name: string,
    cmd: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
  ) {
    this.proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    createInterface({ input: this.proc.stdout! }).on('line', (l) => this.stdout.push(l));
    createInterface({ input: this.proc.stderr! }).on('line', (l) => this.stderr.push(l));
    this.poll = setInterval(() => this.sample(), 250);
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code) => {
        clearInterval(this.poll);
        resolve(code);
      });
      this.proc.once('error', () => {
        clearInterval(this.poll);
        resolve(-1);
      });
    });
  }

  sample(): void {
    const pid = this.proc.pid;
    const cpu = pid !== undefined ? procCpuMs(pid) : undefined;
    if (cpu !== undefined) this.cpuMs = cpu;
  }

  /** Resolves when a stderr line matches, rejects if the process exits first or the time runs out. */
  waitForStderr(re: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        for (const l of this.stderr) {
          const m = re.exec(l);
          if (m) {
            resolve(m);
            return true;
          }
        }
        return false;
      };
      if (check()) return;
      const t = setInterval(() => {
        if (check()) clearInterval(t);
      }, 50);
      const fail = (why: string): void => {
        clearInterval(t);
        reject(new Error(`${this.name}: ${why}; stderr: ${this.stderr.slice(-8).join(' | ')}`));
      };
      void this.exited.then((code) => fail(`exited (${code}) before ${re}`));
      setTimeout(() => fail(`no ${re} within ${timeoutMs} ms`), timeoutMs).unref();
    });
  }

  /** Exit code, or kills it (by its pid) and throws once the deadline passes. */
  async exit(timeoutMs: number): Promise<number | null> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
    const r = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (r === 'late') {
      this.kill();
      throw new Error(`${this.name} still running after ${Math.round(timeoutMs / 1000)} s; killed. stderr: ${this.stderr.slice(-8).join(' | ')}`);
    }
    return r;
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.pid !== undefined) {
      try {
        process.kill(this.proc.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }

  /** The last stdout line as JSON (the `--json` convention), or undefined. */
  lastJson<T>(): T | undefined {
    for (let i = this.stdout.length - 1; i >= 0; i--) {
      const l = (this.stdout[i] as string).trim();
      if (l.startsWith('{')) {
        try {
          return JSON.parse(l) as T;
        } catch {
          return undefined;
        }
      }
    }
    return undefined;
  }
}
