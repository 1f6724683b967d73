import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'cli/**/*.test.ts', 'tests/**/*.test.ts'],
    // CLI tests run the built dist/; `npm ci` builds it through `prepare`.
    testTimeout: 30_000,
  },
});
