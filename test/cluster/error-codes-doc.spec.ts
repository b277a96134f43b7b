import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DATA_ERROR_CODES } from '@dtrain/data';
import { PROTOCOL_ERROR_MEANINGS, WIRE_ERROR_CODES } from '@dtrain/protocol';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOC = join(ROOT, 'docs', 'error-codes.md');
/** Codes of libraries we use (ws), which appear in our sources but are not ours to document. */
const FOREIGN = /^WS_ERR_/;
const CODE = String.raw`[A-Z][A-Z0-9]*_ERR_[A-Z0-9_]+`;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules') return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Every code the product sources define or throw: quoted literals and keys of code tables. */
function codesInSources(): Map<string, string> {
  const found = new Map<string, string>();
  const dirs = ['libs', 'apps'].flatMap((top) => readdirSync(join(ROOT, top)).map((p) => join(ROOT, top, p, 'src')));
  for (const file of dirs.filter((d) => statSync(d, { throwIfNoEntry: false })?.isDirectory()).flatMap(sourceFiles)) {
    const text = readFileSync(file, 'utf8');
    for (const re of [new RegExp(`['"\`](${CODE})['"\`]`, 'g'), new RegExp(`^\\s+(${CODE}):`, 'gm')])
      for (const m of text.matchAll(re)) if (!FOREIGN.test(m[1]!)) found.set(m[1]!, relative(ROOT, file));
  }
  return found;
}

/** Codes in the first column of the doc's tables. */
function codesInDoc(): Set<string> {
  const rows = readFileSync(DOC, 'utf8').split('\n').filter((l) => l.startsWith('| `'));
  return new Set(rows.map((l) => l.match(new RegExp(`^\\| \`(${CODE})\` \\|`))?.[1]).filter((c): c is string => c !== undefined));
}

describe('docs/error-codes.md', () => {
  const doc = codesInDoc();
  const sources = codesInSources();

  it('lists every code the sources define or throw', () => {
    const missing = [...sources].filter(([code]) => !doc.has(code)).map(([code, file]) => `${code} (${file})`);
    expect(missing).toEqual([]);
    expect(sources.size).toBeGreaterThan(60);
  });

  it('lists no code that no longer exists', () => {
    expect([...doc].filter((code) => !sources.has(code))).toEqual([]);
  });

  it('covers the exported code tables', () => {
    for (const code of [...Object.keys(PROTOCOL_ERROR_MEANINGS), ...Object.keys(WIRE_ERROR_CODES), ...Object.keys(DATA_ERROR_CODES)]) expect(doc).toContain(code);
  });

  it('gives each code one row with a meaning', () => {
    const rows = readFileSync(DOC, 'utf8').split('\n').filter((l) => l.startsWith('| `'));
    expect(rows).toHaveLength(doc.size);
    for (const row of rows) expect(row.split('|')[2]!.trim().length).toBeGreaterThan(10);
  });
});
