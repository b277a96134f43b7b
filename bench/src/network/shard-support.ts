/**
 * Whether this checkout can run K > 1 parameter shards: `dtrain shard` (one shard process) and
 * `dtrain server --shards URL,…` (the coordinator wired to them) are being built beside this bench.
 * Asked of the CLI itself each run, so the bench picks shards up the day they land.
 */
import { spawnSync } from 'node:child_process';

export interface ShardSupport {
  available: boolean;
  /** What is missing, for the message a K > 1 request fails with. */
  missing: string[];
}

export function shardSupport(dtrain: string): ShardSupport {
  const help = (args: string[]): string => {
    const r = spawnSync(process.execPath, [dtrain, ...args], { encoding: 'utf8', timeout: 60_000 });
    return `${r.stdout ?? ''}${r.stderr ?? ''}`;
  };
  const missing: string[] = [];
  // An unknown command prints the top-level help (exit 0), so look for the command's own usage line.
  if (!/Usage: dtrain shard\b/.test(help(['shard', '--help']))) missing.push('the `dtrain shard` command (`node bin/dtrain.js shard --help` shows no shard usage)');
  if (!/--shards\b/.test(help(['server', '--help']))) missing.push('`dtrain server --shards ws://HOST:PORT,…` (not in `node bin/dtrain.js server --help`)');
  return { available: missing.length === 0, missing };
}
