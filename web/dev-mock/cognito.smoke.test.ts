import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CognitoConfig } from '../../lambda/shared/web-config';
import { ApiClient } from '../src/api';
import { CognitoAuth } from '../src/auth';
import { loadConfig } from '../src/config';
import { assigned, fakeLocation, installFakeDom } from './fake-dom';

const PORT = 4713;
const BASE = `http://localhost:${PORT}/`;
let server: ChildProcess;
let config: CognitoConfig;

beforeAll(async () => {
  server = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('server.ts', import.meta.url))],
    {
      env: { ...process.env, MOCK_PORT: String(PORT), MOCK_MODE: 'cognito' },
      stdio: 'pipe',
    },
  );
  await new Promise<void>((resolve) => server.stdout?.on('data', () => resolve()));
  installFakeDom(BASE);
  config = (await loadConfig(BASE)) as CognitoConfig;
}, 60_000); // The mock synthesizes the app for config.json's workflow graph before it listens.

afterAll(() => server?.kill());

it('signs in with code + PKCE, verifies state, and sends the ID token', async () => {
  const first = new CognitoAuth(config);
  expect((await first.init()).signedIn).toBe(false);
  await first.signIn();
  const authorize = new URL(assigned.pop()!);
  expect(authorize.pathname).toBe('/mock-cognito/oauth2/authorize');
  const state = authorize.searchParams.get('state')!;
  const challenge = authorize.searchParams.get('code_challenge')!;

  // A response for another tab (wrong state) is refused.
  fakeLocation.search = '?code=good&state=forged';
  const forged = new CognitoAuth(config);
  const refused = await forged.init();
  expect(refused.signedIn).toBe(false);
  expect(refused.message).toMatch(/state/);

  // The real one: signIn again (the forged attempt consumed the stored verifier), then come back.
  await first.signIn();
  const again = new URL(assigned.pop()!);
  fakeLocation.search = `?code=good&state=${again.searchParams.get('state')}`;
  const back = new CognitoAuth(config);
  const state2 = await back.init();
  expect(state2).toEqual({ signedIn: true, user: 'zoe@example.com', message: null });
  const sent = (await (await fetch(`${BASE}mock-cognito/last`)).json()) as Record<string, string>;
  const expected = createHash('sha256').update(sent.code_verifier).digest('base64url');
  expect(again.searchParams.get('code_challenge')).toBe(expected);
  expect(sent).toMatchObject({
    grant_type: 'authorization_code',
    client_id: 'mockclient',
    redirect_uri: BASE,
  });
  expect(state).not.toBe(again.searchParams.get('state'));
  expect(challenge).not.toBe(again.searchParams.get('code_challenge'));

  const headers = await back.requestHeaders();
  expect(headers.Authorization).toMatch(/^Bearer ey/);
  const api = new ApiClient(`${BASE}api`, back);
  await expect(api.listPhotos()).resolves.toEqual({ photos: [], nextCursor: null });
  fakeLocation.search = '';
});

it('refreshes expired tokens, and signs out when the refresh token is refused', async () => {
  const stored = JSON.parse(sessionStorage.getItem('photo-app.tokens')!);
  sessionStorage.setItem('photo-app.tokens', JSON.stringify({ ...stored, expiresAt: Date.now() - 1000 }));
  const auth = new CognitoAuth(config);
  expect((await auth.init()).signedIn).toBe(true);
  const sent = (await (await fetch(`${BASE}mock-cognito/last`)).json()) as Record<string, string>;
  expect(sent).toEqual({ grant_type: 'refresh_token', client_id: 'mockclient', refresh_token: 'r1' });
  const refreshed = JSON.parse(sessionStorage.getItem('photo-app.tokens')!);
  expect(refreshed.refreshToken).toBe('r1');
  expect(refreshed.expiresAt).toBeGreaterThan(Date.now());

  sessionStorage.setItem(
    'photo-app.tokens',
    JSON.stringify({ ...refreshed, refreshToken: 'revoked', expiresAt: Date.now() - 1000 }),
  );
  const revoked = new CognitoAuth(config);
  const state = await revoked.init();
  expect(state.signedIn).toBe(false);
  expect(sessionStorage.getItem('photo-app.tokens')).toBeNull();
});

it('signs out through Cognito', async () => {
  fakeLocation.search = '?code=good&state=x';
  sessionStorage.setItem(
    'photo-app.pkce',
    JSON.stringify({ verifier: 'v'.repeat(43), state: 'x', returnHash: '#/photos/p1' }),
  );
  const auth = new CognitoAuth(config);
  expect((await auth.init()).signedIn).toBe(true);
  auth.signOut();
  const logout = new URL(assigned.pop()!);
  expect(logout.pathname).toBe('/mock-cognito/logout');
  expect(logout.searchParams.get('logout_uri')).toBe(BASE);
  expect(sessionStorage.getItem('photo-app.tokens')).toBeNull();
});
