import { fileURLToPath } from 'node:url';

/** Repository root, for scripts under deploy/ and the dtrain entry point. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The image the container suites build and run (overwritten on every run, so no pile-up). */
export const TEST_IMAGE_TAG = 'dtrain:integration-test';
/** The worker-only image (`stage-context.mjs --app worker`), likewise. */
export const TEST_WORKER_IMAGE_TAG = 'dtrain-worker:integration-test';

/** Base image made from the host's node by deploy/docker/build-local-base.sh (no registry needed). */
export const LOCAL_BASE_IMAGE = 'dtrain-node-base:local';

/** Port the server listens on inside its container (the compose and Kubernetes setups use it too). */
export const SERVER_PORT = 7070;

/** Network alias of the server container: workers dial ws://server:7070 as they do under compose. */
export const SERVER_ALIAS = 'server';

/** Every container, network and volume a suite creates carries these labels, so a sweep finds leftovers. */
export const LABEL_OWNER = 'dev.dtrain.test.owner';
export const LABEL_OWNER_PID = 'dev.dtrain.test.pid';
export const LABEL_OWNER_HOST = 'dev.dtrain.test.host';
export const OWNER_VALUE = 'integration-tests';

/** A daemon that has not answered `ping` by then is treated as absent. */
export const DOCKER_PING_TIMEOUT_MS = 5_000;
