import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { colourImageToInput, pngToInput } from './png-input';

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

describe('colourImageToInput', () => {
  it('brings a PNG of any size to the h×w×3 of the model in [0, 1], as folder datasets do, and names a corrupt file with its code', async () => {
    const p = new PNG({ width: 40, height: 30 });
    for (let i = 0; i < 40 * 30; i++) p.data.set([200, 100, 50, 255], i * 4);
    const dir = await mkdtemp(join(tmpdir(), 'dtrain-rgb-'));
    const file = join(dir, 'orange.png');
    await writeFile(file, PNG.sync.write(p));
    const x = await colourImageToInput(file, 32, 32);
    expect(x).toHaveLength(32 * 32 * 3);
    expect([x[0], x[1], x[2]].map((v) => Math.round(v! * 255))).toEqual([200, 100, 50]);
    expect([x[x.length - 3], x[x.length - 2], x[x.length - 1]].map((v) => Math.round(v! * 255))).toEqual([200, 100, 50]);
    await writeFile(join(dir, 'bad.png'), 'not a png');
    await expect(colourImageToInput(join(dir, 'bad.png'), 32, 32)).rejects.toMatchObject({ code: 'DATA_ERR_BAD_IMAGE' });
  });
});
