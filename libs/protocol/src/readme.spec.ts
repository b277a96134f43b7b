import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_ERROR_MEANINGS } from './protocol-error';
import { WIRE_ERROR_CODES } from './wire-error-codes';

describe('README', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  it('documents every error code with its meaning', () => {
    for (const [code, meaning] of Object.entries({ ...PROTOCOL_ERROR_MEANINGS, ...WIRE_ERROR_CODES })) {
      expect(readme).toContain(`| ${code} | ${meaning} |`);
    }
  });
});
