import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { pngToInput } from './png-input';

async function png(width: number, height: number): Promise<string> {
  const p = new PNG({ width, height });
  p.data.fill(255);
  const file = join(await mkdtemp(join(tmpdir(), 'dtrain-png-')), `${width}x${height}.png`);
  await writeFile(file, PNG.sync.write(p));
  return file;
}

describe('pngToInput', () => {
  it('takes an image at the pixel limit and refuses one past it from its header (INPUT_ERR_TOO_LARGE)', async () => {
    expect(await pngToInput(await png(40, 25), 28, 28, 1_000)).toHaveLength(28 * 28);
    await expect(pngToInput(await png(40, 26), 28, 28, 1_000)).rejects.toMatchObject({ code: 'INPUT_ERR_TOO_LARGE', details: { width: 40, height: 26 } });
  });

  it('refuses a file that is not a PNG (INPUT_ERR_BAD_IMAGE)', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'dtrain-png-')), 'x.png');
    await writeFile(file, 'not a png');
    await expect(pngToInput(file, 28, 28)).rejects.toMatchObject({ code: 'INPUT_ERR_BAD_IMAGE' });
  });
});
