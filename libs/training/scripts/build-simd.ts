/**
 * Assembles libs/training's hand-written WebAssembly SIMD kernels (src/simd/*.wat) with wabt and
 * writes their bytes to src/simd/simd-bytes.ts, so the runtime needs neither wabt nor a build step.
 * Run after editing a .wat: npx tsx libs/training/scripts/build-simd.ts
 * (src/simd/simd-bytes.spec.ts fails when the checked-in bytes are not those of the sources.)
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSimdBytes } from '@dtrain/common/testing';
import { TRAINING_SIMD_SOURCES } from '../src/simd/simd-sources';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/simd');
console.log(await writeSimdBytes(dir, TRAINING_SIMD_SOURCES, { generator: 'libs/training/scripts/build-simd.ts', constName: 'TRAINING_SIMD_BYTES' }));
