import { homedir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CACHE_SUBDIR, ENV } from './constants';

/** $DTRAIN_CACHE, else $XDG_CACHE_HOME/dtrain, else ~/.cache/dtrain. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env[ENV.cacheDir];
  if (explicit) return explicit;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), DEFAULT_CACHE_SUBDIR);
}
