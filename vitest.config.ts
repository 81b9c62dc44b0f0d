import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Process tests start real servers; give them room on a loaded 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Files run in parallel, tests inside a file in order; two workers suit 2 cores.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
