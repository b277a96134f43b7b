/** Fixtures for tests of this lib and of its users: IDX encoding and small synthetic datasets. */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { createRng } from '@dtrain/common';
import type { Dataset } from './dataset';

/** Encodes an unsigned-byte IDX file (optionally gzipped), the inverse of parseIdx. */
export function encodeIdx(dims: readonly number[], data: Uint8Array, opts: { gzip?: boolean } = {}): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const raw = new Uint8Array(header.length + data.length);
  raw.set(header);
  raw.set(data, header.length);
  return opts.gzip ? new Uint8Array(gzipSync(raw)) : raw;
}

export interface SyntheticOptions {
  count: number;
  rows?: number;
  cols?: number;
  /** 1 (default) or 3. */
  channels?: number;
  numClasses?: number;
  seed?: number;
  name?: string;
}

/**
 * A small dataset with random pixels whose labels cycle 0..numClasses-1 (so every class is present and
 * class counts differ by at most one). Not learnable; for plumbing, sharding and batching tests.
 */
export function syntheticDataset(o: SyntheticOptions): Dataset {
  const rows = o.rows ?? 28;
  const cols = o.cols ?? 28;
  const channels = o.channels ?? 1;
  const numClasses = o.numClasses ?? 10;
  const rng = createRng(o.seed ?? 1);
  const images = Uint8Array.from({ length: o.count * rows * cols * channels }, () => rng.int(256));
  const labels = Uint8Array.from({ length: o.count }, (_, i) => i % numClasses);
  return {
    name: o.name ?? 'synthetic',
    images,
    labels,
    count: o.count,
    rows,
    cols,
    channels,
    numClasses,
    classNames: Array.from({ length: numClasses }, (_, i) => String(i)),
  };
}

/** IDX dims of a dataset's images: N×H×W for grey (as MNIST), N×H×W×C otherwise. */
const imageDims = (d: Dataset): number[] => (d.channels === 1 ? [d.count, d.rows, d.cols] : [d.count, d.rows, d.cols, d.channels]);

/**
 * The four standard IDX files (gzipped) for a train and a test dataset, keyed by file name; colour
 * images are written 4-D under the same names (the names are the convention, not the rank).
 */
export function idxFileSet(train: Dataset, test: Dataset, opts: { gzip?: boolean } = { gzip: true }): Record<string, Uint8Array> {
  const suffix = opts.gzip ? '.gz' : '';
  return {
    [`train-images-idx3-ubyte${suffix}`]: encodeIdx(imageDims(train), train.images, opts),
    [`train-labels-idx1-ubyte${suffix}`]: encodeIdx([train.count], train.labels, opts),
    [`t10k-images-idx3-ubyte${suffix}`]: encodeIdx(imageDims(test), test.images, opts),
    [`t10k-labels-idx1-ubyte${suffix}`]: encodeIdx([test.count], test.labels, opts),
  };
}

export type FileRoute = Uint8Array | ((req: IncomingMessage, res: ServerResponse) => void);

export interface FileServer {
  /** Base URL with a trailing slash, e.g. http://127.0.0.1:40123/ */
  url: string;
  /** Paths requested so far, in order (to assert that a cache was used). */
  requests: string[];
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 (port 0) serving fixed bytes or custom handlers by path; 404 otherwise. */
export async function serveFiles(routes: Record<string, FileRoute>): Promise<FileServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').replace(/^\//, '');
    requests.push(path);
    const route = routes[path];
    if (route === undefined) {
      res.writeHead(404).end();
    } else if (typeof route === 'function') {
      route(req, res);
    } else {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': route.length }).end(route);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
