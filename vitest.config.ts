import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Worker-thread tests start real threads; the machines have 2 cores, so keep files serial
    // enough that timing-sensitive behaviour (GIL handoffs) is not drowned by the test runner.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
