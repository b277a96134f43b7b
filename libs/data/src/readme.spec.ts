import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DATA_ERROR_CODES } from './data-error';

describe('README', () => {
  it('documents exactly the error codes the lib defines', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const documented = [...readme.matchAll(/^\| `(DATA_ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(Object.keys(DATA_ERROR_CODES).sort());
  });
});
