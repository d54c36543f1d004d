import { defineConfig } from 'vitest/config';

// The app against a mock API and token endpoint, in a small fake DOM: the one place the Cognito sign-in
// flow (PKCE redirect, code exchange, refresh, sign-out) runs end to end, since no Cognito is reachable
// here. Part of `npm test`; the real API and S3 are covered by test/browser against the local cloud.
export default defineConfig({
  test: { root: new URL('.', import.meta.url).pathname, include: ['*smoke.test.ts'], testTimeout: 60_000 },
});
