#!/usr/bin/env -S node --initial-old-space-size=256
// --initial-old-space-size=256: the parameter server receives ~4.5 MB of socket and frame buffers per step, and V8
// counts that external memory towards its old-generation limit: with the default start size it ran
// a mark-compact (6–14 ms on the main thread, stalling every BSP worker) every ~7 steps; with 256 MB,
// 3–5 per 400 steps, for ~35 MB more peak RSS. The same flag is in `npm start`, the image's
// ENTRYPOINT and the bench (apps/cli/src/heap-flag.spec.ts keeps them equal).
// The `dtrain` command. The sources are TypeScript run through tsx's loader, so `npx dtrain …`
// works straight after `npm ci` with no build step; the loader is registered before any import.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../apps/cli/src/main.ts');
process.exitCode = await main(process.argv.slice(2));
