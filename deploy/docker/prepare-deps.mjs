// Runs in the image's deps stage (exec form: the base image needs node, not a shell).
// With node_modules in the build context (staged from the host by stage-context.mjs --deps host)
// it only prunes; without, it installs the production dependencies from the lockfile first, which
// needs a registry and npm in BASE_IMAGE (node:*-slim has both).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pruneNodeModules } from './prune-node-modules.mjs';

const app = process.argv[2] ?? '/app';
const nodeModules = join(app, 'node_modules');

if (!existsSync(nodeModules)) {
  // npm ships next to node in the official images: <prefix>/bin/node, <prefix>/lib/node_modules/npm.
  const npmCli = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  if (!existsSync(npmCli)) {
    console.error(`no node_modules in the build context and no npm at ${npmCli}: stage the context with --deps host, or use a BASE_IMAGE that has npm`);
    process.exit(1);
  }
  // --ignore-scripts: no dependency needs a build step (native ones ship prebuilt binaries), and
  // the optional @tensorflow/tfjs-node would otherwise try to download libtensorflow.
  const npm = (...args) => {
    const r = spawnSync(process.execPath, [npmCli, ...args, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', '--update-notifier=false'], { cwd: app, stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  };
  npm('ci', '--omit=dev');
  // Not --omit=optional: esbuild (tsx) ships its binary as an optional dependency. Uninstalling
  // the native TF backend instead also drops the download tooling only it depends on.
  npm('uninstall', '--no-save', '--omit=dev', '@tensorflow/tfjs-node');
}

// Workspaces that only the lockfile needed (tests, benchmarks): not part of the image.
for (const ws of ['test', 'bench']) rmSync(join(app, ws), { recursive: true, force: true });
for (const link of ['integration-tests', 'bench']) rmSync(join(nodeModules, '@dtrain', link), { force: true });

const bytes = pruneNodeModules(nodeModules);
console.log(`node_modules: ${(bytes / 1e6).toFixed(1)} MB after pruning`);
// The volume mount point for checkpoints and the model, owned by the runtime user in the next stage.
mkdirSync('/data', { recursive: true });
