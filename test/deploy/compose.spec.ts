import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { composeCommand } from '../support/compose-command';
import { REPO_ROOT } from '../support/constants';

const run = promisify(execFile);
const COMPOSE_DIR = join(REPO_ROOT, 'deploy/compose');
const compose = await composeCommand();

interface Service {
  image?: string;
  env_file?: string;
  command?: string[];
  ports?: string[];
  volumes?: string[];
  restart?: string;
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const load = (file: string): ComposeFile => parse(readFileSync(join(COMPOSE_DIR, file), 'utf8'), { merge: true }) as ComposeFile;
const flag = (args: string[] | undefined, name: string): string | undefined => args?.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

/**
 * Static checks of deploy/compose/compose.shards.yaml (used as `-f compose.yaml -f
 * compose.shards.yaml`); test/containers/compose.spec.ts runs it for real where there is a daemon.
 */
describe('deploy/compose: compose.shards.yaml on top of compose.yaml', () => {
  const base = load('compose.yaml');
  const shards = load('compose.shards.yaml');
  const serverCommand = shards.services['server']!.command!;
  const urls = flag(serverCommand, 'shards')!.split(',').map((u) => new URL(u));

  it('keeps the single-server default: compose.yaml has no shards', () => {
    expect(Object.keys(base.services).sort()).toEqual(['server', 'worker']);
    expect(flag(base.services['server']!.command, 'shards')).toBeUndefined();
  });

  it("repeats compose.yaml's server command exactly, adding only --shards and the log level", () => {
    // An override replaces `command` whole: this is what keeps the two from drifting apart.
    expect(serverCommand.filter((a) => !a.startsWith('--shards=') && !a.startsWith('--log-level='))).toEqual(base.services['server']!.command);
    expect(serverCommand).toContain('--resume');
  });

  it('names one shard service per --shards URL, on the port it listens on, with the same image and token', () => {
    const shardServices = Object.keys(shards.services).filter((s) => s !== 'server').sort();
    expect(urls.map((u) => u.hostname).sort()).toEqual(shardServices);
    expect(urls.length).toBeGreaterThanOrEqual(2);
    const server = base.services['server']!;
    for (const u of urls) {
      const s = shards.services[u.hostname]!;
      expect(u.protocol).toBe('ws:');
      expect(s.command?.[0]).toBe('shard');
      expect(flag(s.command, 'port')).toBe(u.port);
      expect(flag(s.command, 'host')).toBe('0.0.0.0');
      expect(s.image).toBe(server.image);
      expect(s.env_file).toBe(server.env_file);
      expect(s.restart).toBe('on-failure');
      // The image has no shell: exec form, node probing the shard's own port.
      expect(s.healthcheck?.test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
      expect(s.healthcheck?.test[3]).toContain(`http://127.0.0.1:${u.port}/`);
    }
  });

  it('starts the server once every shard is healthy, and restarts it (resuming from the volume) after a lost shard', () => {
    const deps = shards.services['server']!.depends_on as Record<string, { condition: string }>;
    expect(Object.keys(deps).sort()).toEqual(urls.map((u) => u.hostname).sort());
    for (const d of Object.values(deps)) expect(d.condition).toBe('service_healthy');
    const server = base.services['server']!;
    expect(server.restart).toBe('on-failure');
    const mount = server.volumes!.map((v) => v.split(':')).find(([name]) => Object.keys(base.volumes ?? {}).includes(name!))!;
    expect(flag(serverCommand, 'checkpoint-dir')!.startsWith(`${mount[1]}/`)).toBe(true);
  });

  it.runIf(compose !== undefined)('is accepted by the Compose CLI (`config`), which merges the two files as documented', async () => {
    const { stdout } = await run(compose![0]!, [...compose!.slice(1), '--project-name', 'dtrain-config-check', '--file', 'compose.yaml', '--file', 'compose.shards.yaml', 'config'], {
      cwd: COMPOSE_DIR,
      env: { ...process.env, DTRAIN_ENV_FILE: join(COMPOSE_DIR, 'dtrain.env.example') },
      timeout: 60_000,
    });
    const merged = parse(stdout) as ComposeFile;
    expect(Object.keys(merged.services).sort()).toEqual(['server', 'shard-1', 'shard-2', 'worker']);
    const server = merged.services['server']!;
    expect(server.command).toEqual(serverCommand.map((a) => a.replace(/\$\{(\w+):-([^}]*)\}/g, '$2')));
    expect(server.restart).toBe('on-failure');
    expect(server.healthcheck).toBeDefined();
  });
});
