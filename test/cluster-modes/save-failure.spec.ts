import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killChildren, removeTempDirs, runDtrain, tempDir } from './cluster-harness';

afterEach(killChildren);
afterAll(removeTempDirs);

describe('a run whose model cannot be saved (a full disk, a read-only volume)', () => {
  it('still reports its result, then fails with MODEL_ERR_SAVE and leaves no temporary file', async () => {
    const out = await tempDir('save-failure');
    // model.json is a directory: writing the model fails at its last step, as a full disk would.
    await mkdir(join(out, 'model.json'));
    await writeFile(join(out, 'model.json', 'keep'), 'x');
    const r = await runDtrain(['local', '--workers', '1', '--train-limit', '256', '--test-limit', '100', '--epochs', '1', '--out', out, '--json', '--no-dashboard'], 120_000);
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ train_samples: 256, test_samples: 100 });
    expect(typeof r.json['test_accuracy']).toBe('number');
    expect(r.stderr.join('\n')).toMatch(/error MODEL_ERR_SAVE: could not save model/);
    expect((await readdir(out)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  }, 150_000);

  it('the same for one process (dtrain train)', async () => {
    const out = await tempDir('save-failure-train');
    await mkdir(join(out, 'model.json'));
    await writeFile(join(out, 'model.json', 'keep'), 'x');
    const r = await runDtrain(['train', '--train-limit', '256', '--test-limit', '100', '--epochs', '1', '--out', out, '--json'], 120_000);
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ train_samples: 256, test_samples: 100 });
    expect(r.stderr.join('\n')).toMatch(/error MODEL_ERR_SAVE: could not save model/);
    expect((await readdir(out)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  }, 150_000);
});
