import { describe, expect, it } from 'vitest';
import { formatFolderOptions, parseFolderSpec } from './folder-spec';

describe('parseFolderSpec', () => {
  it('is undefined for other kinds of spec', () => {
    for (const spec of ['mnist', 'idx:folder:x', 'folders:x', 'folder', 'classes:0-1:folder:x']) expect(parseFolderSpec(spec)).toBeUndefined();
  });

  it("'folder:DIR' takes everything after the colon as the directory, verbatim, with the defaults", () => {
    expect(parseFolderSpec('folder:data/cifar')).toEqual({ dir: 'data/cifar', options: { fit: 'resize', skipBad: false } });
    // Names a query-string syntax would misread are just directories.
    for (const dir of ['a?size=32x32&channels=3', 'x,size=1x1', 'c:/imgs', 'with space', 'üñí']) {
      expect(parseFolderSpec(`folder:${dir}`)?.dir).toBe(dir);
    }
  });

  it("'folder,OPTS:DIR' reads every option, the directory still verbatim", () => {
    expect(parseFolderSpec('folder,size=32x28,channels=3,fit=check,skip-bad:/d/a?b,c:d')).toEqual({
      dir: '/d/a?b,c:d',
      options: { size: { rows: 32, cols: 28 }, channels: 3, fit: 'check', skipBad: true },
    });
    expect(parseFolderSpec('folder,channels=1:x')?.options).toEqual({ channels: 1, fit: 'resize', skipBad: false });
    expect(parseFolderSpec('folder,size=28X28:x')?.options.size).toEqual({ rows: 28, cols: 28 });
  });

  it.each([
    ['folder:', 'needs a directory'],
    ['folder,size=32x32:', 'needs a directory'],
    ['folder,size=32x32', 'colon'],
    ['folder,:x', 'empty option'],
    ['folder,size=32:x', 'size=32 is not HxW'],
    ['folder,size=0x4:x', 'size=0x4'],
    ['folder,size:x', 'size needs a value'],
    ['folder,channels=4:x', 'channels=4'],
    ['folder,channels=2:x', 'channels=2'],
    ['folder,fit=crop:x', 'fit=crop'],
    ['folder,skip-bad=yes:x', 'skip-bad takes no value'],
    ['folder,size=2x2,size=3x3:x', 'given twice'],
    ['folder,colour=rgb:x', "unknown option 'colour=rgb'"],
  ])('refuses %j with DATA_ERR_BAD_SPEC (%s) and shows the syntax', (spec, why) => {
    expect(() => parseFolderSpec(spec)).toThrow(
      expect.objectContaining({ code: 'DATA_ERR_BAD_SPEC', message: expect.stringMatching(new RegExp(`${why.replace(/[?=]/g, '.')}.*size=HxW.*channels=1\\|3.*fit=resize\\|check.*skip-bad`)) }),
    );
  });

  it('formats options back canonically (defaults left out)', () => {
    const o = parseFolderSpec('folder,skip-bad,fit=check,channels=3,size=8x9:x')!.options;
    expect(formatFolderOptions(o)).toBe('size=8x9,channels=3,fit=check,skip-bad');
    expect(formatFolderOptions(parseFolderSpec('folder:x')!.options)).toBe('');
  });
});
