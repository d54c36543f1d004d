import { defineConfig } from 'vitest/config';

// Throwaway smoke test of the app against the mock, in a tiny fake DOM: npx vitest run --config web/dev-mock/vitest.config.ts
export default defineConfig({
  test: { root: new URL('.', import.meta.url).pathname, include: ['*smoke.test.ts'], testTimeout: 60_000 },
});
