import { defineConfig } from 'vitest/config';

// Three projects: fast unit tests, end-to-end tests against real servers on loopback, and the
// benchmark matrix. The last two run one file at a time: they share two cores and the port range,
// and a benchmark that competes with another for CPU measures nothing.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // Installs Chromium and Prometheus when missing (apt, as root), or fails saying how: never a silent skip.
          globalSetup: ['test/setup/ensure-test-tools.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'bench',
          include: ['bench/**/*.bench.ts'],
          fileParallelism: false,
          sequence: { concurrent: false },
          testTimeout: 1_800_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
