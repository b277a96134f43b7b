import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';

/** The shared secret from --token, --token-file or DTRAIN_TOKEN (servers and workers read it alike). */
export function resolveToken(flags: { token?: string; tokenFile?: string }, env = process.env): string | undefined {
  if (flags.token !== undefined && flags.tokenFile !== undefined) throw new InvalidArgumentError('give --token or --token-file, not both');
  if (flags.tokenFile !== undefined) {
    const t = readFileSync(flags.tokenFile, 'utf8').trim();
    if (!t) throw new InvalidArgumentError(`token file ${flags.tokenFile} is empty`);
    return t;
  }
  return flags.token ?? (env['DTRAIN_TOKEN'] || undefined);
}
