import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The Nx graph is only as true as the package.json files: every @dtrain import must be a declared
// workspace dependency, or `^typecheck`, the `^production` cache inputs and `nx affected` lie.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const nx = (...args: string[]): string =>
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/nx/dist/bin/nx.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
  });

describe('the workspace project graph', () => {
  it('declares every @dtrain import as a dependency (tools/workspace-deps.mjs --check)', async () => {
    const { drift } = (await import(path.join(ROOT, 'tools/workspace-deps.mjs'))) as {
      drift: () => { file: string }[];
    };
    expect(drift().map((d) => path.relative(ROOT, d.file))).toEqual([]);
  });

  it('lists every importer of libs/protocol as affected by a change there', () => {
    const affected = nx('show', 'projects', '--affected', '--files=libs/protocol/src/index.ts', '--json');
    const projects = JSON.parse(affected) as string[];
    for (const p of ['protocol', 'data', 'training', 'coordinator', 'worker-runtime', 'server-runtime', 'telemetry', 'trainer', 'cli', 'parameter-server', 'worker', 'integration-tests', 'bench']) {
      expect(projects).toContain(p);
    }
    // …and nothing that does not depend on it.
    for (const p of ['common', 'engine', 'model']) expect(projects).not.toContain(p);
  }, 60_000);
});
