import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (p: string): string => readFileSync(`${root}${p}`, 'utf8');

/** The V8 flag on bin/dtrain.js's shebang: the parameter server's heap start size (why: bin/dtrain.js). */
function shebangFlag(): string {
  const line = read('bin/dtrain.js').split('\n')[0] ?? '';
  const m = /^#!\/usr\/bin\/env -S node (--initial-old-space-size=\d+)$/.exec(line);
  if (!m?.[1]) throw new Error(`unexpected shebang: ${line}`);
  return m[1];
}

describe('the server heap flag', () => {
  const flag = shebangFlag();

  it('is the same wherever a parameter server is started', () => {
    const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts['start'];
    expect(start).toMatch(new RegExp(`^node ${flag} bin/dtrain.js local --workers 2( |$)`));
    // The image runs bin/entry.js, which stage-context.mjs points at bin/dtrain.js (or the worker alone).
    expect(read('deploy/docker/Dockerfile')).toContain(`ENTRYPOINT ["node", "${flag}", "/app/bin/entry.js"]`);
    expect(read('bench/src/run-bench.ts')).toContain(`const SERVER_HEAP_FLAG = '${flag}';`);
  });

  it('is accepted by node through the shebang when the script runs directly', () => {
    const out = execFileSync(`${root}bin/dtrain.js`, ['--help'], { encoding: 'utf8', timeout: 60_000 });
    expect(out).toContain('Usage: dtrain');
  });
});
