import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger } from '@dtrain/common';
import { DTRAIN_BIN } from './worker-processes';

/** How long a shard process may take to say which port it listens on. */
const SHARD_START_TIMEOUT_MS = 30_000;

export interface ShardProcesses {
  /** One URL per shard, in key-range order (a restarted shard keeps its port, so its URL). */
  readonly urls: string[];
  readonly children: readonly ChildProcess[];
  /** Starts again, on their ports, the shards whose process has exited; resolves with how many. */
  restartExited(): Promise<number>;
  /** Stops every shard (SIGTERM) and waits for them to exit. */
  close(): Promise<void>;
}

interface Spawned {
  child: ChildProcess;
  exited: Promise<void>;
  url: Promise<string>;
}

/** One `dtrain shard` on loopback (`port` 0: any free one); its log lines go to our stderr, prefixed. */
function spawnShard(i: number, port: number, opts: { token: string | undefined; logLevel: string; logFormat: string }): Spawned {
  const child = spawn(process.execPath, [DTRAIN_BIN, 'shard', '--host', '127.0.0.1', '--port', String(port), '--log-level', opts.logLevel, '--log-format', opts.logFormat], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...(opts.token ? { DTRAIN_TOKEN: opts.token } : {}) },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`shard ${i + 1} did not start within ${SHARD_START_TIMEOUT_MS} ms`)), SHARD_START_TIMEOUT_MS);
    createInterface({ input: child.stderr! }).on('line', (line) => {
      const m = /^dtrain shard listening on (\S+) \(port (\d+)\)$/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(`ws://127.0.0.1:${m[2]}`);
      } else process.stderr.write(`[shard ${i + 1}] ${line}\n`);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`shard ${i + 1} exited (${code ?? signal}) before it listened`));
    });
  });
  url.catch(() => undefined);
  return { child, exited, url };
}

/**
 * `count` `dtrain shard` processes on this machine for `dtrain local --servers N`, each on a free
 * loopback port; resolves once each has said its port.
 */
export async function spawnShards(count: number, opts: { token: string | undefined; logLevel: string; logFormat: string; log: Logger }): Promise<ShardProcesses> {
  const shards = Array.from({ length: count }, (_, i) => spawnShard(i, 0, opts));
  const close = async (): Promise<void> => {
    for (const s of shards) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
    const timer = setTimeout(() => shards.forEach((s) => s.child.exitCode === null && s.child.kill('SIGKILL')), 5_000);
    await Promise.all(shards.map((s) => s.exited));
    clearTimeout(timer);
  };
  let urls: string[];
  try {
    urls = await Promise.all(shards.map((s) => s.url));
  } catch (err) {
    await close();
    throw err;
  }
  opts.log.info('parameter shards started', { shards: count, urls: urls.join(',') });
  return {
    urls,
    get children() {
      return shards.map((s) => s.child);
    },
    async restartExited() {
      let n = 0;
      for (let i = 0; i < shards.length; i++) {
        const s = shards[i]!;
        if (s.child.exitCode === null && s.child.signalCode === null) continue;
        const port = Number(new URL(urls[i]!).port);
        opts.log.warn('restarting a parameter shard whose process exited', { shard: i, port, code: s.child.exitCode, signal: s.child.signalCode });
        shards[i] = spawnShard(i, port, opts);
        await shards[i]!.url;
        n++;
      }
      return n;
    },
    close,
  };
}
