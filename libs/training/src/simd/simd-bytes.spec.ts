import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assembleWat } from '@dtrain/common/testing';
import { TRAINING_SIMD_BYTES } from './simd-bytes';
import { TRAINING_SIMD_SOURCES } from './simd-sources';

const dir = path.dirname(fileURLToPath(import.meta.url));

describe('checked-in SIMD module bytes', () => {
  it.each(TRAINING_SIMD_SOURCES)('%s.wat assembles to the bytes in simd-bytes.ts (run scripts/build-simd.ts after editing)', async (name) => {
    const bytes = await assembleWat(path.join(dir, `${name}.wat`));
    expect(Buffer.from(bytes).toString('base64')).toBe(TRAINING_SIMD_BYTES[name]);
  });
});
