import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Contract suites are run by each adapter's test, never alone.
    exclude: ['**/node_modules/**', '**/*.contract.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two projects: every test once as it is, and the CLI suite again through a server
    // (test/helpers/cli.ts starts one per sandbox when REPRISE_TEST_MODE=server).
    // Run one with `npx vitest run --project server`.
    projects: [
      {
        extends: true,
        test: {
          name: 'embedded',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          env: { REPRISE_TEST_MODE: 'embedded' },
        },
      },
      {
        extends: true,
        test: {
          name: 'server',
          include: ['test/cli/**/*.test.ts'],
          env: { REPRISE_TEST_MODE: 'server' },
        },
      },
    ],
  },
});
