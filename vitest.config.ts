import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests share one Secret Service and spawn real processes: keep files parallel
    // across the two cores but never run them all at once.
    maxWorkers: 2,
  },
});
