#!/usr/bin/env node
// Assembles a small Docker build context for deploy/docker/Dockerfile, so `docker build` does not
// send the repository (node_modules, .git, caches) to the daemon:
//   OUT/Dockerfile, OUT/*.mjs            the build recipe and its helper scripts
//   OUT/app/{package.json,package-lock.json,bin,apps/*/src,libs/*/src}   sources, no tests
//   OUT/app/node_modules                 with --deps host: this machine's production dependencies
//
//   node deploy/docker/stage-context.mjs OUT [--deps host|registry]   (default host)
//
// --deps host copies what `npm ls --omit=dev` lists from ./node_modules (run `npm ci` first); it
// suits machines whose docker builds cannot reach a registry and assumes the image runs on the
// host's OS and CPU (native prebuilt packages are copied as installed). --deps registry leaves
// node_modules out; the deps stage then runs `npm ci --omit=dev` inside the build.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pruneNodeModules } from './prune-node-modules.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');

function usage(msg) {
  console.error(`${msg}\nusage: node deploy/docker/stage-context.mjs OUT_DIR [--deps host|registry]`);
  process.exit(2);
}

const args = process.argv.slice(2);
const out = args[0] ? resolve(args[0]) : usage('missing OUT_DIR');
const depsAt = args.indexOf('--deps');
const deps = depsAt >= 0 ? args[depsAt + 1] : 'host';
if (deps !== 'host' && deps !== 'registry') usage(`--deps must be host or registry, got ${deps}`);
if (out === repo || repo.startsWith(out + sep)) usage('OUT_DIR must not contain the repository');

const isTestFile = (p) => /\.(spec|test)\.ts$/.test(p);

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'app'), { recursive: true });
for (const f of ['Dockerfile', 'prepare-deps.mjs', 'prune-node-modules.mjs']) cpSync(join(here, f), join(out, f));

const app = join(out, 'app');
for (const f of ['package.json', 'package-lock.json']) cpSync(join(repo, f), join(app, f));
cpSync(join(repo, 'bin'), join(app, 'bin'), { recursive: true });

/** Workspace projects that make up the program: apps and libs, manifest and sources. */
const projects = ['apps', 'libs'].flatMap((group) =>
  readdirSync(join(repo, group), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(repo, group, e.name, 'package.json')))
    .map((e) => `${group}/${e.name}`),
);
for (const p of projects) {
  cpSync(join(repo, p, 'package.json'), join(app, p, 'package.json'));
  if (existsSync(join(repo, p, 'src'))) cpSync(join(repo, p, 'src'), join(app, p, 'src'), { recursive: true, filter: (src) => !isTestFile(src) });
}
// `npm ci` checks every workspace of the lockfile against its manifest, so the others come along
// as bare manifests; prepare-deps.mjs removes them again.
for (const ws of ['test', 'bench']) {
  if (existsSync(join(repo, ws, 'package.json'))) cpSync(join(repo, ws, 'package.json'), join(app, ws, 'package.json'));
}

if (deps === 'host') {
  const nm = join(repo, 'node_modules');
  if (!existsSync(nm)) usage('no node_modules here: run `npm ci` first, or use --deps registry');
  // npm ls exits non-zero on any extraneous/missing package but still prints the tree it found.
  let listing;
  try {
    listing = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: repo, encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (err) {
    listing = err.stdout ?? '';
  }
  const dirs = listing.split('\n').map((l) => l.trim()).filter((l) => l.startsWith(nm + sep));
  if (dirs.length === 0) usage('`npm ls --omit=dev` listed no packages');
  const projectSet = new Set(projects);
  for (const dir of dirs) {
    const rel = relative(nm, dir);
    const target = join(app, 'node_modules', rel);
    if (rel.startsWith(`@dtrain${sep}`)) {
      // Workspace links: recreate the ones that point at a shipped project, relative like npm's.
      const to = relative(repo, execFileSync('readlink', ['-f', dir], { encoding: 'utf8' }).trim());
      if (!projectSet.has(to)) continue;
      mkdirSync(dirname(target), { recursive: true });
      symlinkSync(relative(dirname(target), join(app, to)), target);
      continue;
    }
    // Each listed directory without its nested node_modules: nested packages are listed themselves.
    cpSync(dir, target, { recursive: true, filter: (src) => !relative(dir, src).split(sep).includes('node_modules') });
  }
  const bytes = pruneNodeModules(join(app, 'node_modules'));
  console.error(`staged ${dirs.length} production packages from the host (${(bytes / 1e6).toFixed(1)} MB after pruning)`);
}
console.log(out);
