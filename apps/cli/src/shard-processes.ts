import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger } from '@dtrain/common';
import { DTRAIN_BIN } from './worker-processes';

/** How long a shard process may take to say which port it listens on. */
const SHARD_START_TIMEOUT_MS = 30_000;

export interface ShardProcesses {
  /** One URL per shard, in key-range order. */
  readonly urls: string[];
  readonly children: ChildProcess[];
  /** Stops every shard (SIGTERM) and waits for them to exit. */
  close(): Promise<void>;
}

/**
 * `count` `dtrain shard` processes on this machine for `dtrain local --servers N`, each on a free
 * loopback port; resolves once each has said its port. Their log lines go to our stderr, prefixed.
 */
export async function spawnShards(count: number, opts: { token: string | undefined; logLevel: string; logFormat: string; log: Logger }): Promise<ShardProcesses> {
  const children: ChildProcess[] = [];
  const exited: Promise<void>[] = [];
  const started = Array.from({ length: count }, (_, i) => {
    const child = spawn(process.execPath, [DTRAIN_BIN, 'shard', '--host', '127.0.0.1', '--port', '0', '--log-level', opts.logLevel, '--log-format', opts.logFormat], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...(opts.token ? { DTRAIN_TOKEN: opts.token } : {}) },
    });
    children.push(child);
    exited.push(new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve()))));
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`shard ${i + 1} did not start within ${SHARD_START_TIMEOUT_MS} ms`)), SHARD_START_TIMEOUT_MS);
      createInterface({ input: child.stderr! }).on('line', (line) => {
        const m = /^dtrain shard listening on (\S+) \(port (\d+)\)$/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(`ws://127.0.0.1:${m[2]}`);
        } else process.stderr.write(`[shard ${i + 1}] ${line}\n`);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`shard ${i + 1} exited (${code}) before it listened`));
      });
    });
  });
  const close = async (): Promise<void> => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    const timer = setTimeout(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')), 5_000);
    await Promise.all(exited);
    clearTimeout(timer);
  };
  try {
    const urls = await Promise.all(started);
    opts.log.info('parameter shards started', { shards: count, urls: urls.join(',') });
    return { urls, children, close };
  } catch (err) {
    await close();
    throw err;
  }
}
