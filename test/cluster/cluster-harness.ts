import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { withTestDataset } from '../support/run-flags';

/** The dtrain entry script: children run exactly what a user runs. */
export const DTRAIN_BIN = fileURLToPath(new URL('../../bin/dtrain.js', import.meta.url));

/**
 * Sizes that keep every cluster test to seconds on two cores: the embedded MNIST subset, a few
 * thousand training samples, fast heartbeats so a loss is noticed quickly.
 */
export const SMALL_RUN = ['--dataset', 'mnist-subset', '--batch-size', '64', '--seed', '7', '--heartbeat-ms', '200', '--heartbeat-timeout-ms', '4000'];

/** A dtrain child process with its output collected line by line. */
export class DtrainProcess {
  readonly child: ChildProcess;
  readonly stderr: string[] = [];
  readonly stdout: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];

  constructor(
    readonly name: string,
    args: string[],
    env: Record<string, string | undefined> = {},
  ) {
    this.child = spawn(process.execPath, [DTRAIN_BIN, ...withTestDataset(args)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...env } });
    const collect = (into: string[]) => (line: string) => {
      into.push(line);
      for (const w of [...this.waiters]) {
        const m = line.match(w.re);
        if (m) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    };
    createInterface({ input: this.child.stderr! }).on('line', collect(this.stderr));
    createInterface({ input: this.child.stdout! }).on('line', collect(this.stdout));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first output line (stderr or stdout) matching `re`, already seen or yet to come. */
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    for (const line of [...this.stderr, ...this.stdout]) {
      const m = line.match(re);
      if (m) return Promise.resolve(m);
    }
    return new Promise((resolve, reject) => {
      const fail = (why: string): void => reject(new Error(`${this.name}: ${why} ${re}; last lines:\n${this.stderr.slice(-20).join('\n')}`));
      const timer = setTimeout(() => fail(`no line matching within ${timeoutMs} ms:`), timeoutMs);
      this.waiters.push({ re, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      void this.exited.then(() => setTimeout(() => (clearTimeout(timer), fail('exited before printing')), 100));
    });
  }

  /** Lines of the JSON logger whose `msg` is `msg` (the server and workers log one JSON object per line). */
  logs(msg: string): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const line of this.stderr) {
      if (!line.includes(msg)) continue;
      try {
        const rec = JSON.parse(line) as Record<string, unknown>;
        if (rec['msg'] === msg) out.push(rec);
      } catch {
        // Not a JSON log line (the "listening" banner, a worker prefix).
      }
    }
    return out;
  }

  /** The last stdout line as JSON (`--json` prints exactly one object last). */
  lastJson(): Record<string, unknown> {
    const line = this.stdout.filter((l) => l.trim().startsWith('{')).at(-1);
    if (!line) throw new Error(`${this.name} printed no JSON; stderr tail:\n${this.stderr.slice(-20).join('\n')}`);
    return JSON.parse(line) as Record<string, unknown>;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.running) this.child.kill(signal);
  }

  async exit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.name} did not exit within ${timeoutMs} ms; stderr tail:\n${this.stderr.slice(-20).join('\n')}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Every process and temp dir a test started; `cleanup()` in afterEach kills leftovers with SIGKILL. */
export class Cluster {
  readonly procs: DtrainProcess[] = [];
  private readonly dirs: string[] = [];

  spawn(name: string, args: string[], env?: Record<string, string | undefined>): DtrainProcess {
    const p = new DtrainProcess(name, args, env);
    this.procs.push(p);
    return p;
  }

  /** Starts `dtrain server` and waits for its "listening" banner; returns it with its port. */
  async server(args: string[], name = 'server', env?: Record<string, string | undefined>): Promise<{ proc: DtrainProcess; port: number; url: string }> {
    const proc = this.spawn(name, ['server', '--host', '127.0.0.1', ...args], env);
    const m = await proc.waitFor(/dtrain server listening on (wss?):\/\/[^\s]+ \(port (\d+)\)/, 60_000);
    const port = Number(m[2]);
    return { proc, port, url: `${m[1]}://127.0.0.1:${port}` };
  }

  worker(url: string, id: string, args: string[] = [], env?: Record<string, string | undefined>): DtrainProcess {
    return this.spawn(id, ['worker', '--server', url, '--worker-id', id, '--json', '--log-level', 'info', ...args], env);
  }

  async tempDir(prefix: string): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), `dtrain-${prefix}-`));
    this.dirs.push(d);
    return d;
  }

  async cleanup(): Promise<void> {
    for (const p of this.procs) p.kill('SIGKILL');
    await Promise.all(this.procs.map((p) => p.exited));
    this.procs.length = 0;
    await Promise.all(this.dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  }
}

/** A port nobody listens on right now (for a server that must come back on the same port). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Readiness {
  state: string;
  version: number;
  checksum: string;
  epoch: number;
  workers: number;
}

/** The server's /readyz (state, weights version and checksum); undefined while it does not answer. */
export async function readyz(port: number, scheme: 'http' | 'https' = 'http'): Promise<Readiness | undefined> {
  try {
    const res = await fetch(`${scheme}://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) });
    return (await res.json()) as Readiness;
  } catch {
    return undefined;
  }
}

/** Polls `probe` until it returns a value (not undefined) or the time is up. */
export async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what: string, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export type { AppliedPush as AppliedLine } from '../support/applied-log';
export { readAppliedLog, auditAppliedLog } from '../support/applied-log';

export interface WorkersFile {
  workers: { workerId: string; state: string; applied: number; dropped: number; samples: number; meanStepMs: number }[];
  coverage: { epoch: number; expected: number; applied: number; missed: number; repeated: number }[];
}

export async function readWorkersFile(outDir: string): Promise<WorkersFile> {
  return JSON.parse(await readFile(join(outDir, 'workers.json'), 'utf8')) as WorkersFile;
}
