import { defineConfig } from 'vitest/config';

// One config for every cross-process suite under test/ (containers, cluster, dashboard): they
// start real processes and containers, so files run one at a time in forked processes, with
// timeouts sized for image builds and training runs rather than for unit tests.
export default defineConfig({
  test: {
    include: ['**/*.spec.ts'],
    exclude: ['**/node_modules/**', 'artifacts/**'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 5 * 60_000,
    hookTimeout: 10 * 60_000,
    teardownTimeout: 2 * 60_000,
  },
});
