/**
 * Assembles the hand-written WebAssembly SIMD kernels (src/wasm/simd/*.wat) with wabt and writes
 * their bytes to src/wasm/simd/simd-bytes.ts, so the runtime needs neither wabt nor a build step.
 * Run after editing a .wat: npx tsx libs/engine/scripts/build-simd.ts
 * (src/wasm/simd/simd-bytes.spec.ts fails when the checked-in bytes are not those of the sources.)
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSimdBytes } from '@dtrain/common/testing';
import { SIMD_SOURCES } from '../src/wasm/simd/assemble';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/wasm/simd');
console.log(await writeSimdBytes(dir, SIMD_SOURCES, { generator: 'libs/engine/scripts/build-simd.ts', constName: 'SIMD_BYTES' }));
