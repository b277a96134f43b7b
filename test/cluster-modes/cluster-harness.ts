import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { withTestDataset } from '../support/run-flags';

export const DTRAIN_BIN = fileURLToPath(new URL('../../bin/dtrain.js', import.meta.url));

/** A child process of ours with its output collected; `kill()` is safe to call twice. */
export interface Child {
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  readonly exited: Promise<number>;
  kill(): void;
}

const children = new Set<Child>();

export function spawnDtrain(args: string[], env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, [DTRAIN_BIN, ...withTestDataset(args)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...env } });
  const stdout: string[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => stdout.push(l));
  createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  const exited = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  const c: Child = {
    child,
    stdout,
    stderr,
    exited,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  children.add(c);
  void exited.then(() => children.delete(c));
  return c;
}

/** Kills every child this file started that is still running (afterEach / afterAll). */
export async function killChildren(): Promise<void> {
  const all = [...children];
  all.forEach((c) => c.kill());
  await Promise.all(all.map((c) => c.exited));
}

export interface CliResult {
  code: number;
  stdout: string[];
  stderr: string[];
  /** The last stdout line parsed as JSON (the --json summary), when it is one. */
  json: Record<string, unknown>;
}

/** Runs `dtrain ARGS` to the end (killed after timeoutMs). */
export async function runDtrain(args: string[], timeoutMs: number, env: Record<string, string> = {}): Promise<CliResult> {
  const c = spawnDtrain(args, env);
  const timer = setTimeout(() => c.kill(), timeoutMs);
  const code = await c.exited;
  clearTimeout(timer);
  // Let readline flush the last lines.
  await new Promise((r) => setImmediate(r));
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(c.stdout.at(-1) ?? '{}') as Record<string, unknown>;
  } catch {
    // Not a --json run, or it failed before printing; callers assert on code/stderr.
  }
  return { code, stdout: c.stdout, stderr: c.stderr, json };
}

/** `dtrain worker` processes against a server, each with its own id and extra flags. */
export function spawnWorkers(url: string, token: string, extra: string[][]): Child[] {
  return extra.map((args, i) => spawnDtrain(['worker', '--server', url, '--token', token, '--worker-id', `w${i + 1}`, '--log-level', 'warn', ...args]));
}

const dirs = new Set<string>();

/** A fresh directory under the OS temp dir, removed by `removeTempDirs()`. */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `dtrain-${prefix}-`));
  dirs.add(dir);
  return dir;
}

/** Removes every directory `tempDir` made in this file (afterAll). */
export async function removeTempDirs(): Promise<void> {
  await Promise.all([...dirs].map((d) => rm(d, { recursive: true, force: true })));
  dirs.clear();
}

export type { AppliedPush } from '../support/applied-log';
export { readAppliedLog } from '../support/applied-log';

export interface ServerProcess {
  readonly proc: Child;
  readonly url: string;
  readonly port: number;
  readonly token: string;
  readonly outDir: string;
  /** The --json summary, once the server has finished (rejects if it exits non-zero). */
  summary(): Promise<Record<string, unknown>>;
  /** GET /readyz: the coordinator's state and weights version. */
  ready(): Promise<{ state: string; version: number }>;
}

/** `dtrain server` on 127.0.0.1, port 0, with a random token and a fresh --out; resolves once it listens. */
export async function startServerProcess(args: string[]): Promise<ServerProcess> {
  const token = randomBytes(16).toString('hex');
  const outDir = await tempDir('server-out');
  const proc = spawnDtrain(['server', '--host', '127.0.0.1', '--port', '0', '--token', token, '--out', outDir, '--json', ...args]);
  const port = Number((await waitForLine(proc, /listening on \S+ \(port (\d+)\)/, 60_000))[1]);
  return {
    proc,
    url: `ws://127.0.0.1:${port}`,
    port,
    token,
    outDir,
    async summary() {
      const code = await proc.exited;
      await new Promise((r) => setImmediate(r));
      if (code !== 0) throw new Error(`dtrain server exited ${code}:\n${proc.stderr.slice(-15).join('\n')}`);
      return JSON.parse(proc.stdout.at(-1) ?? '{}') as Record<string, unknown>;
    },
    async ready() {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      return (await res.json()) as { state: string; version: number };
    },
  };
}

/** Polls until `probe` returns true (or throws after timeoutMs). */
export async function until(probe: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls a child's stderr until a line matches `re` (or the child exits / time runs out). */
export async function waitForLine(c: Child, re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const until = Date.now() + timeoutMs;
  let exited = false;
  void c.exited.then(() => (exited = true));
  for (;;) {
    for (const line of c.stderr) {
      const m = line.match(re);
      if (m) return m;
    }
    if (exited || Date.now() > until) throw new Error(`no stderr line matching ${re}; last lines:\n${c.stderr.slice(-10).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
