import { describe, expect, it } from 'vitest';
import {
  base64UrlDecode,
  base64UrlEncode,
  buildAuthorizeUrl,
  buildCodeExchangeBody,
  buildLogoutUrl,
  buildRefreshBody,
  createCodeChallenge,
  createCodeVerifier,
  createState,
  parseCallback,
  stateMatches,
  tokenEndpoint,
} from '../../web/src/pkce';

const cognito = {
  cognitoDomain: 'https://photos-test.auth.eu-west-1.amazoncognito.com/',
  clientId: 'client123',
  redirectUri: 'https://d111.cloudfront.net/',
};

describe('base64url', () => {
  it('encodes without padding and with the URL-safe alphabet', () => {
    expect(base64UrlEncode(new Uint8Array([0xfb, 0xff, 0xfe]))).toBe('-__-');
    expect(base64UrlEncode(new Uint8Array([1]))).toBe('AQ');
    expect(base64UrlEncode(new Uint8Array([]))).toBe('');
  });

  it('round-trips any bytes', () => {
    const bytes = new Uint8Array(256).map((_, i) => i);
    expect([...base64UrlDecode(base64UrlEncode(bytes))]).toEqual([...bytes]);
  });

  it('rejects text outside the alphabet', () => {
    expect(() => base64UrlDecode('ab+c')).toThrow();
  });
});

describe('PKCE', () => {
  it('computes the RFC 7636 appendix B challenge', async () => {
    await expect(createCodeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).resolves.toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('makes verifiers of 43 unreserved characters, different each time', () => {
    const verifiers = new Set(Array.from({ length: 20 }, () => createCodeVerifier()));
    expect(verifiers.size).toBe(20);
    for (const verifier of verifiers) expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('gives a 43-character S256 challenge for a fresh verifier', async () => {
    expect(await createCodeChallenge(createCodeVerifier())).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses verifiers RFC 7636 does not allow', async () => {
    await expect(createCodeChallenge('too-short')).rejects.toThrow(/43 to 128/);
    await expect(createCodeChallenge(`${'a'.repeat(42)}!`)).rejects.toThrow();
  });

  it('makes unguessable states', () => {
    expect(createState()).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(createState()).not.toBe(createState());
  });
});

describe('Cognito URLs', () => {
  it('builds the authorize URL with code + PKCE S256 and the scopes', () => {
    const url = new URL(buildAuthorizeUrl(cognito, { codeChallenge: 'CHALLENGE', state: 'STATE' }));
    expect(url.origin + url.pathname).toBe(
      'https://photos-test.auth.eu-west-1.amazoncognito.com/oauth2/authorize',
    );
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'client123',
      redirect_uri: 'https://d111.cloudfront.net/',
      scope: 'openid email profile',
      code_challenge: 'CHALLENGE',
      code_challenge_method: 'S256',
      state: 'STATE',
    });
    expect(url.search).toContain('scope=openid+email+profile');
  });

  it('posts the code with its verifier, form-encoded', () => {
    expect(tokenEndpoint(cognito)).toBe('https://photos-test.auth.eu-west-1.amazoncognito.com/oauth2/token');
    const body = new URLSearchParams(buildCodeExchangeBody(cognito, 'the-code', 'the-verifier'));
    expect(Object.fromEntries(body)).toEqual({
      grant_type: 'authorization_code',
      client_id: 'client123',
      code: 'the-code',
      redirect_uri: 'https://d111.cloudfront.net/',
      code_verifier: 'the-verifier',
    });
  });

  it('refreshes with the refresh token', () => {
    expect(Object.fromEntries(new URLSearchParams(buildRefreshBody(cognito, 'r/t+=')))).toEqual({
      grant_type: 'refresh_token',
      client_id: 'client123',
      refresh_token: 'r/t+=',
    });
  });

  it('signs out through /logout back to the app', () => {
    const url = new URL(buildLogoutUrl(cognito));
    expect(url.pathname).toBe('/logout');
    expect(url.searchParams.get('client_id')).toBe('client123');
    expect(url.searchParams.get('logout_uri')).toBe('https://d111.cloudfront.net/');
  });
});

describe('the redirect back', () => {
  it('reads a code and its state', () => {
    expect(parseCallback('?code=abc&state=xyz')).toEqual({ kind: 'code', code: 'abc', state: 'xyz' });
    expect(parseCallback('code=abc')).toEqual({ kind: 'code', code: 'abc', state: null });
  });

  it('reads an error', () => {
    expect(parseCallback('?error=access_denied&error_description=User+cancelled&state=s')).toEqual({
      kind: 'error',
      error: 'access_denied',
      description: 'User cancelled',
      state: 's',
    });
  });

  it('ignores an ordinary visit', () => {
    expect(parseCallback('')).toEqual({ kind: 'none' });
    expect(parseCallback('?foo=1')).toEqual({ kind: 'none' });
  });

  it('matches the state only when both sides are present and equal', () => {
    expect(stateMatches('abc', 'abc')).toBe(true);
    expect(stateMatches('abc', 'abd')).toBe(false);
    expect(stateMatches('abc', 'abcd')).toBe(false);
    expect(stateMatches(null, 'abc')).toBe(false);
    expect(stateMatches('abc', null)).toBe(false);
    expect(stateMatches('', '')).toBe(false);
  });
});
