#!/usr/bin/env node
// The worker program alone (apps/worker): what the worker image runs. It takes the same command
// line as `dtrain worker` (a leading `worker` is accepted, so one compose or Kubernetes spec runs
// either image). TypeScript through tsx's loader, registered before any import, as in dtrain.js.
import { register } from 'tsx/esm/api';

register();
await import('../apps/worker/src/main.ts');
