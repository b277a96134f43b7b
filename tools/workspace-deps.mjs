#!/usr/bin/env node
// Keeps each workspace project's package.json honest about which @dtrain/* packages its source
// imports, so Nx's project graph has an edge for every import (that is what makes `^typecheck`,
// the `^production` inputs, caching and `nx affected` sound).
//
//   node tools/workspace-deps.mjs          rewrite the package.json files
//   node tools/workspace-deps.mjs --check  exit 1 and list the drift, changing nothing
//
// Imports from non-spec files are `dependencies`; imports only spec/test files make are
// `devDependencies`. Workspace versions are "*" (npm links the local package).
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SKIP_DIRS = new Set(['node_modules', 'dist', 'out', 'results', 'artifacts']);
const IMPORT = /(?:from\s+|import\s*\(\s*|import\s+)['"](@dtrain\/[a-z0-9-]+)/g;
const isSpec = (file) => /\.(spec|test)\.ts$/.test(file) || /(^|\/)vitest\.config\.ts$/.test(file);

/** Every workspace project directory (apps/*, libs/*, plus the top-level test and bench projects). */
export function projectDirs(root = ROOT) {
  const dirs = [];
  for (const group of ['apps', 'libs']) {
    for (const name of readdirSync(path.join(root, group))) dirs.push(path.join(root, group, name));
  }
  dirs.push(path.join(root, 'test'), path.join(root, 'bench'));
  return dirs.filter((d) => statSync(path.join(d, 'package.json'), { throwIfNoEntry: false }));
}

function tsFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) out.push(...tsFiles(path.join(dir, entry.name)));
    } else if (entry.name.endsWith('.ts')) out.push(path.join(dir, entry.name));
  }
  return out;
}

/** The @dtrain packages a project's source imports: { dependencies, devDependencies }, sorted. */
export function importedPackages(dir) {
  const self = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name;
  const prod = new Set();
  const dev = new Set();
  for (const file of tsFiles(dir)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      if (m[1] === self) continue;
      (isSpec(path.relative(dir, file)) ? dev : prod).add(m[1]);
    }
  }
  for (const p of prod) dev.delete(p);
  return { dependencies: [...prod].sort(), devDependencies: [...dev].sort() };
}

/** Replaces the @dtrain entries of one dependency block, keeping any third-party ones. */
function withWorkspace(block = {}, names) {
  const kept = Object.fromEntries(Object.entries(block).filter(([k]) => !k.startsWith('@dtrain/')));
  for (const n of names) kept[n] = '*';
  const sorted = Object.fromEntries(Object.entries(kept).sort(([a], [b]) => a.localeCompare(b)));
  return Object.keys(sorted).length > 0 ? sorted : undefined;
}

/** The drift for every project: [{ file, expected, actual }] where they differ. */
export function drift(root = ROOT) {
  const out = [];
  for (const dir of projectDirs(root)) {
    const file = path.join(dir, 'package.json');
    const pkg = JSON.parse(readFileSync(file, 'utf8'));
    const want = importedPackages(dir);
    const next = { ...pkg };
    for (const key of ['dependencies', 'devDependencies']) {
      const block = withWorkspace(pkg[key], want[key]);
      if (block === undefined) delete next[key];
      else next[key] = block;
    }
    const before = JSON.stringify(pkg, null, 2) + '\n';
    const after = JSON.stringify(next, null, 2) + '\n';
    if (before !== after) out.push({ file, before, after, want });
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const changes = drift();
  if (process.argv.includes('--check')) {
    for (const c of changes) {
      console.error(`${path.relative(ROOT, c.file)}: imports ${JSON.stringify(c.want)}, package.json says otherwise`);
    }
    if (changes.length > 0) {
      console.error('run `node tools/workspace-deps.mjs` and then `npm install` to update the lock file');
      process.exit(1);
    }
  } else {
    for (const c of changes) {
      writeFileSync(c.file, c.after);
      console.log(`updated ${path.relative(ROOT, c.file)}`);
    }
  }
}
