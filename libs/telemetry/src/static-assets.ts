import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { TelemetryError } from './telemetry-error';

export interface Asset {
  body: Buffer;
  contentType: string;
}

/** URL path (relative to the dashboard root) → file. Nothing else is ever served from disk. */
export type AssetMap = ReadonlyMap<string, Asset>;

const STATIC_DIR = new URL('../static/', import.meta.url);

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/** Our page's own files (in libs/telemetry/static). */
const OWN_FILES: Record<string, string> = {
  'index.html': 'index.html',
  'static/dashboard.css': 'dashboard.css',
  'static/charts.js': 'charts.js',
  'static/dashboard.js': 'dashboard.js',
  'static/report.js': 'report.js',
};

/** uPlot, from node_modules: served by us, never from a CDN (the cluster may have no internet). */
const VENDOR_FILES: Record<string, string> = {
  'vendor/uPlot.iife.min.js': 'uplot/dist/uPlot.iife.min.js',
  'vendor/uPlot.min.css': 'uplot/dist/uPlot.min.css',
};

function typeOf(path: string): string {
  return TYPES[path.slice(path.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
}

async function load(file: string, urlPath: string): Promise<Asset> {
  try {
    return { body: await readFile(file), contentType: typeOf(urlPath) };
  } catch (err) {
    throw new TelemetryError('TELEMETRY_ERR_ASSET', `dashboard file ${urlPath} is missing (${file})`, { file }, { cause: err });
  }
}

/** Reads every file of the page (≈70 kB); the dashboard keeps them in memory for its lifetime. */
export async function loadAssets(): Promise<AssetMap> {
  const require = createRequire(import.meta.url);
  const entries: [string, string][] = [
    ...Object.entries(OWN_FILES).map(([url, name]): [string, string] => [url, fileURLToPath(new URL(name, STATIC_DIR))]),
    ...Object.entries(VENDOR_FILES).map(([url, spec]): [string, string] => [url, require.resolve(spec)]),
  ];
  const loaded = await Promise.all(entries.map(async ([url, file]) => [url, await load(file, url)] as const));
  return new Map(loaded);
}

/** An asset's text (the report inlines them). */
export function assetText(assets: AssetMap, urlPath: string): string {
  const a = assets.get(urlPath);
  if (!a) throw new TelemetryError('TELEMETRY_ERR_ASSET', `no asset ${urlPath}`);
  return a.body.toString('utf8');
}
