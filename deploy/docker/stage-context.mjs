#!/usr/bin/env node
// Assembles a small Docker build context for deploy/docker/Dockerfile, so `docker build` does not
// send the repository (node_modules, .git, caches) to the daemon:
//   OUT/Dockerfile, OUT/*.mjs            the build recipe and its helper scripts
//   OUT/app/{package.json,package-lock.json,bin,apps/*/src,libs/*/src}   sources, no tests
//   OUT/app/node_modules                 with --deps host: this machine's production dependencies
//
//   node deploy/docker/stage-context.mjs OUT [--deps host|registry] [--app all|worker]
//
// --app all (default): the whole program, entry `dtrain` (server, worker and the other commands).
// --app worker: the worker image. Only apps/worker and the workspace projects it depends on are
// staged (no coordinator, telemetry or server runtime), its entry is bin/dtrain-worker.js, and with
// --deps host only the npm packages those sources import (and what they depend on) come along.
//
// --deps host copies what `npm ls --omit=dev` lists from ./node_modules (run `npm ci` first); it
// suits machines whose docker builds cannot reach a registry and assumes the image runs on the
// host's OS and CPU (native prebuilt packages are copied as installed). --deps registry leaves
// node_modules out; the deps stage then runs `npm ci --omit=dev` inside the build.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pruneNodeModules } from './prune-node-modules.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');

function usage(msg) {
  console.error(`${msg}\nusage: node deploy/docker/stage-context.mjs OUT_DIR [--deps host|registry] [--app all|worker]`);
  process.exit(2);
}

const args = process.argv.slice(2);
const out = args[0] ? resolve(args[0]) : usage('missing OUT_DIR');
const depsAt = args.indexOf('--deps');
const deps = depsAt >= 0 ? args[depsAt + 1] : 'host';
if (deps !== 'host' && deps !== 'registry') usage(`--deps must be host or registry, got ${deps}`);
const appAt = args.indexOf('--app');
const appName = appAt >= 0 ? args[appAt + 1] : 'all';
if (appName !== 'all' && appName !== 'worker') usage(`--app must be all or worker, got ${appName}`);
if (out === repo || repo.startsWith(out + sep)) usage('OUT_DIR must not contain the repository');

const isTestFile = (p) => /\.(spec|test)\.ts$/.test(p);

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'app'), { recursive: true });
for (const f of ['Dockerfile', 'prepare-deps.mjs', 'prune-node-modules.mjs']) cpSync(join(here, f), join(out, f));

const app = join(out, 'app');
for (const f of ['package.json', 'package-lock.json']) cpSync(join(repo, f), join(app, f));
/** Workspace projects: apps and libs, by package name. */
const allProjects = ['apps', 'libs'].flatMap((group) =>
  readdirSync(join(repo, group), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(repo, group, e.name, 'package.json')))
    .map((e) => `${group}/${e.name}`),
);
const manifestOf = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const projectByName = new Map(allProjects.map((p) => [manifestOf(join(repo, p)).name, p]));

/** A project and every workspace project it depends on (the declared graph; see tools/workspace-deps.mjs). */
function projectClosure(root) {
  const seen = new Set();
  const visit = (p) => {
    if (seen.has(p)) return;
    seen.add(p);
    for (const dep of Object.keys(manifestOf(join(repo, p)).dependencies ?? {})) if (projectByName.has(dep)) visit(projectByName.get(dep));
  };
  visit(root);
  return [...seen];
}

// The program's entry: bin/entry.js, which the Dockerfile's ENTRYPOINT runs.
const launcher = appName === 'worker' ? 'dtrain-worker.js' : 'dtrain.js';
const projects = appName === 'worker' ? projectClosure('apps/worker') : allProjects;
mkdirSync(join(app, 'bin'), { recursive: true });
cpSync(join(repo, 'bin', launcher), join(app, 'bin', launcher));
writeFileSync(join(app, 'bin', 'entry.js'), `// The image's program (staged by deploy/docker/stage-context.mjs --app ${appName}).\nimport './${launcher}';\n`);

// Every manifest (npm ci checks each workspace of the lockfile), sources only of the shipped projects.
for (const p of allProjects) cpSync(join(repo, p, 'package.json'), join(app, p, 'package.json'));
for (const p of projects) {
  if (existsSync(join(repo, p, 'src'))) cpSync(join(repo, p, 'src'), join(app, p, 'src'), { recursive: true, filter: (src) => !isTestFile(src) });
}

// The browser worker's program, bundled here (esbuild is a dev dependency, so it stays out of the
// image); the server serves this file at /worker.js.
if (projects.includes('libs/browser-worker') && projects.includes('libs/server-runtime')) {
  const target = join(app, 'libs', 'browser-worker', 'dist', 'worker.js');
  const bundler = pathToFileURL(join(repo, 'libs', 'server-runtime', 'src', 'worker-bundle.ts')).href;
  try {
    execFileSync(process.execPath, ['--import', 'tsx', '-e', `import(${JSON.stringify(bundler)}).then((m) => m.writeBrowserWorkerBundle(${JSON.stringify(target)}))`], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch {
    console.error('could not bundle the browser worker (run npm ci first): the image will answer /worker.js with 500');
  }
}

/** npm package names a set of projects' sources import (bare specifiers, not node: or workspace ones). */
function importedPackages(dirs) {
  const names = new Set();
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const f = join(dir, e.name);
      if (e.isDirectory()) walk(f);
      else if (f.endsWith('.ts') && !isTestFile(f)) {
        // import … from 'x', import('x'), and require.resolve('x/…') (files found through createRequire).
        for (const m of readFileSync(f, 'utf8').matchAll(/(?:from|import|resolve)\s*\(?\s*['"]([^'".\/][^'"]*)['"]/g)) {
          const spec = m[1];
          if (spec.startsWith('node:') || spec.startsWith('@dtrain/')) continue;
          names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
        }
      }
    }
  };
  for (const p of dirs) if (existsSync(join(repo, p, 'src'))) walk(join(repo, p, 'src'));
  return names;
}

/**
 * The root's production dependencies the shipped projects may need: all of them but those that only
 * the projects left out import (prom-client and uPlot, for the worker). Dropping only what is known
 * to be someone else's keeps packages the shipped code finds by other means (createRequire).
 */
function neededRoots() {
  const shipped = importedPackages(projects);
  const leftOut = importedPackages(allProjects.filter((p) => !projects.includes(p)));
  const dropped = [...leftOut].filter((n) => !shipped.has(n));
  return Object.keys(manifestOf(repo).dependencies ?? {}).filter((n) => !dropped.includes(n));
}

/** Installed package directories `roots` need at run time: each, and what it depends on, resolved as Node does. */
function packageDirClosure(roots, nm) {
  const dirs = new Set();
  const resolveFrom = (fromDir, name) => {
    for (let d = fromDir; d.startsWith(repo); d = dirname(d)) {
      const c = join(d, 'node_modules', name);
      if (existsSync(join(c, 'package.json'))) return c;
      if (d === repo) break;
    }
    return undefined;
  };
  const visit = (dir) => {
    if (dirs.has(dir)) return;
    dirs.add(dir);
    const m = manifestOf(dir);
    for (const dep of Object.keys({ ...m.dependencies, ...m.optionalDependencies, ...m.peerDependencies })) {
      const found = resolveFrom(dir, dep);
      if (found) visit(found);
    }
  };
  for (const r of roots) {
    const d = join(nm, r);
    if (existsSync(join(d, 'package.json'))) visit(d);
  }
  return dirs;
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
  let dirs = listing.split('\n').map((l) => l.trim()).filter((l) => l.startsWith(nm + sep));
  if (appName === 'worker') {
    const needed = packageDirClosure(neededRoots(), nm);
    dirs = dirs.filter((d) => needed.has(d) || relative(nm, d).startsWith(`@dtrain${sep}`));
  }
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
