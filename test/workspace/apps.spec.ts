import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// apps/parameter-server and apps/worker are the process entries the CLI's `server` and `worker`
// commands share: started on their own, they train a run together.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function start(app: string, args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'apps', app, 'src/main.ts'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', DTRAIN_SERVER: undefined, DTRAIN_TOKEN: undefined },
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => stdout.push(l));
  const stderrLines = createInterface({ input: child.stderr });
  stderrLines.on('line', (l) => stderr.push(l));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const line = (re: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const seen = stderr.map((l) => l.match(re)).find(Boolean);
      if (seen) return resolve(seen);
      stderrLines.on('line', (l) => {
        const m = l.match(re);
        if (m) resolve(m);
      });
      void exited.then((code) => reject(new Error(`${app} exited ${code} before ${re}: ${stderr.join('\n')}`)));
    });
  return { child, stdout, stderr, exited, line };
}

describe('the parameter-server and worker apps', () => {
  it('train a run together, each from its own entry point', async () => {
    const server = start('parameter-server', [
      '--workers', '1', '--dataset', 'mnist-subset', '--epochs', '1', '--train-limit', '640', '--test-limit', '200',
      '--host', '127.0.0.1', '--port', '0', '--token', 'apps-spec-token-0123456789', '--json', '--seed', '7',
    ]);
    try {
      const [, port] = await server.line(/listening on .*\(port (\d+)\)/);
      const worker = start('worker', ['--server', `ws://127.0.0.1:${port}`, '--token', 'apps-spec-token-0123456789', '--json']);
      expect(await worker.exited).toBe(0);
      expect(await server.exited).toBe(0);
      const w = JSON.parse(worker.stdout.at(-1) ?? '{}') as { reason: string; samples: number };
      expect(w).toMatchObject({ reason: 'finished', samples: 640 });
      const s = JSON.parse(server.stdout.at(-1) ?? '{}') as { train_samples: number; workers: number; test_accuracy: number };
      expect(s.train_samples).toBe(640);
      expect(s.workers).toBe(1);
      expect(s.test_accuracy).toBeGreaterThan(0.3);
    } finally {
      server.child.kill('SIGKILL');
    }
  }, 120_000);

  it('refuses bad usage with exit code 2, as dtrain does', async () => {
    const worker = start('worker', ['--server', 'ws://127.0.0.1:1', '--no-such-flag']);
    expect(await worker.exited).toBe(2);
    expect(worker.stderr.join('\n')).toMatch(/unknown option '--no-such-flag'/);
    const server = start('parameter-server', ['--workers', 'many']);
    expect(await server.exited).toBe(2);
    expect(server.stderr.join('\n')).toMatch(/--workers/);
  }, 60_000);
});
