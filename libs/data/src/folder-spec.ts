import { DataError } from './data-error';

/** How images of another size than size= are treated: resampled, or refused. */
export type FolderFit = 'resize' | 'check';

/** What a `folder:` spec asks for; every field left out is decided from the images (see loadImageFolder). */
export interface FolderOptions {
  /** Target size; default the size every image has (DATA_ERR_IMAGE_SIZE when they differ). */
  size?: { rows: number; cols: number };
  /** 1 (grey) or 3 (RGB); default 3 when any image has colour, else 1. */
  channels?: 1 | 3;
  /** Default 'resize'. */
  fit: FolderFit;
  /** Skip (and count) unreadable images instead of failing on the first. Default false. */
  skipBad: boolean;
}

export const FOLDER_PREFIX = 'folder';

/**
 * The spec grammar, for docs and errors. Options sit between `folder` and the colon, never after the
 * directory: everything after the first colon is the directory, verbatim, so no directory name (one
 * with `?`, `&`, `,`, `=` or `:` in it included) can be mistaken for options, and the spec needs no
 * shell quoting (`?` and `&` would).
 */
export const FOLDER_SPEC_SYNTAX =
  'folder:DIR, or folder,OPTION[,OPTION…]:DIR with the options size=HxW (e.g. 32x32), channels=1|3, fit=resize|check, skip-bad; e.g. folder,size=32x32,channels=3,skip-bad:data/cifar';

const SIZE = /^(\d{1,6})x(\d{1,6})$/i;

/** Parses `folder:DIR` / `folder,OPTS:DIR`; undefined for a spec of another kind. */
export function parseFolderSpec(spec: string): { dir: string; options: FolderOptions } | undefined {
  const plain = `${FOLDER_PREFIX}:`;
  if (!spec.startsWith(plain) && !spec.startsWith(`${FOLDER_PREFIX},`)) return undefined;
  const colon = spec.indexOf(':');
  const bad = (why: string): never => {
    throw new DataError('DATA_ERR_BAD_SPEC', `'${spec}': ${why} (${FOLDER_SPEC_SYNTAX})`, { spec });
  };
  if (colon < 0) return bad('the options need a colon and the directory after them');
  const dir = spec.slice(colon + 1);
  if (dir === '') return bad('folder: needs a directory');
  const options: FolderOptions = { fit: 'resize', skipBad: false };
  if (spec.startsWith(plain)) return { dir, options };
  const seen = new Set<string>();
  for (const item of spec.slice(FOLDER_PREFIX.length + 1, colon).split(',')) {
    const eq = item.indexOf('=');
    const key = (eq < 0 ? item : item.slice(0, eq)).trim();
    const value = eq < 0 ? undefined : item.slice(eq + 1).trim();
    if (key === '') bad('an empty option');
    if (seen.has(key)) bad(`option ${key} given twice`);
    seen.add(key);
    const want = (text: string): string => (value === undefined ? bad(`${key} needs a value: ${key}=${text}`) : value);
    if (key === 'size') {
      const m = SIZE.exec(want('HxW'));
      const rows = Number(m?.[1]);
      const cols = Number(m?.[2]);
      if (!m || rows < 1 || cols < 1) bad(`size=${value} is not HxW with H, W ≥ 1 (e.g. size=32x32)`);
      options.size = { rows, cols };
    } else if (key === 'channels') {
      const v = want('1|3');
      if (v !== '1' && v !== '3') bad(`channels=${v}: 1 (grey) or 3 (RGB)`);
      options.channels = v === '1' ? 1 : 3;
    } else if (key === 'fit') {
      const v = want('resize|check');
      if (v !== 'resize' && v !== 'check') bad(`fit=${v}: resize or check`);
      options.fit = v as FolderFit;
    } else if (key === 'skip-bad') {
      if (value !== undefined) bad('skip-bad takes no value');
      options.skipBad = true;
    } else {
      bad(`unknown option '${item}'`);
    }
  }
  return { dir, options };
}

/** The options back in spec form (canonical order), for names and logs. */
export function formatFolderOptions(o: FolderOptions): string {
  const parts = [
    o.size && `size=${o.size.rows}x${o.size.cols}`,
    o.channels && `channels=${o.channels}`,
    o.fit !== 'resize' && `fit=${o.fit}`,
    o.skipBad && 'skip-bad',
  ].filter((p): p is string => typeof p === 'string');
  return parts.join(',');
}
