#!/usr/bin/env node
// The `dtrain` command. The sources are TypeScript run through tsx's loader, so `npx dtrain …`
// works straight after `npm ci` with no build step; the loader is registered before any import.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../apps/cli/src/main.ts');
process.exitCode = await main(process.argv.slice(2));
