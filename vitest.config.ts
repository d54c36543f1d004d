import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Synthesis and sharp are CPU-heavy; two cores are shared between workers.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    restoreMocks: true,
  },
});
