import { describe, expect, it } from 'vitest';
import { base64UrlEncode } from '../../web/src/pkce';
import {
  decodeJwtPayload,
  displayNameFromIdToken,
  EXPIRY_SKEW_MS,
  isExpired,
  jwtExpiry,
  msUntilRefresh,
  parseStoredTokens,
  serializeTokens,
  type TokenSet,
  tokenErrorMessage,
  tokenSetFromResponse,
  tokenState,
} from '../../web/src/tokens';

function jwt(payload: Record<string, unknown>): string {
  const encode = (value: unknown) => base64UrlEncode(new TextEncoder().encode(JSON.stringify(value)));
  return `${encode({ alg: 'RS256', kid: 'k' })}.${encode(payload)}.c2lnbmF0dXJl`;
}

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);
const inSeconds = (seconds: number) => Math.floor(NOW / 1000) + seconds;

describe('JWT payloads', () => {
  it('decodes the claims (UTF-8 included)', () => {
    const token = jwt({ sub: 'u-1', email: 'zoë@example.com', exp: inSeconds(3600) });
    expect(decodeJwtPayload(token)).toMatchObject({ sub: 'u-1', email: 'zoë@example.com' });
    expect(jwtExpiry(token)).toBe((Math.floor(NOW / 1000) + 3600) * 1000);
  });

  it('gives null for anything that is not a JWT', () => {
    expect(decodeJwtPayload('nope')).toBeNull();
    expect(decodeJwtPayload('a.b.c')).toBeNull();
    expect(decodeJwtPayload(`x.${base64UrlEncode(new TextEncoder().encode('[1]'))}.y`)).toBeNull();
    expect(jwtExpiry(jwt({ sub: 'no exp' }))).toBeNull();
  });
});

describe('tokenSetFromResponse', () => {
  it('keeps the tokens and takes the earliest expiry', () => {
    const idToken = jwt({ sub: 'u', exp: inSeconds(1800) });
    const accessToken = jwt({ sub: 'u', exp: inSeconds(3600) });
    const set = tokenSetFromResponse(
      { id_token: idToken, access_token: accessToken, refresh_token: 'refresh', expires_in: 3600 },
      NOW,
    );
    expect(set).toEqual({ idToken, accessToken, refreshToken: 'refresh', expiresAt: NOW + 1800_000 });
  });

  it('uses expires_in when the tokens carry no exp', () => {
    const set = tokenSetFromResponse({ id_token: jwt({}), access_token: jwt({}), expires_in: 300 }, NOW);
    expect(set.expiresAt).toBe(NOW + 300_000);
    expect(set.refreshToken).toBeNull();
  });

  it('keeps the previous refresh token on a refresh answer (Cognito sends none)', () => {
    const set = tokenSetFromResponse(
      { id_token: jwt({}), access_token: jwt({}), expires_in: 3600 },
      NOW,
      'old-refresh',
    );
    expect(set.refreshToken).toBe('old-refresh');
  });

  it('refuses an answer without both tokens', () => {
    expect(() => tokenSetFromResponse({ access_token: jwt({}) }, NOW)).toThrow(/id token/);
  });
});

describe('expiry', () => {
  const tokens: TokenSet = {
    idToken: 'i',
    accessToken: 'a',
    refreshToken: 'r',
    expiresAt: NOW + 10 * 60_000,
  };

  it('counts tokens as expired a minute early', () => {
    expect(isExpired(tokens, NOW)).toBe(false);
    expect(isExpired(tokens, tokens.expiresAt - EXPIRY_SKEW_MS - 1)).toBe(false);
    expect(isExpired(tokens, tokens.expiresAt - EXPIRY_SKEW_MS)).toBe(true);
    expect(isExpired(tokens, tokens.expiresAt + 1)).toBe(true);
    expect(isExpired(tokens, tokens.expiresAt - 1, 0)).toBe(false);
  });

  it('says when to refresh', () => {
    expect(msUntilRefresh(tokens, NOW)).toBe(9 * 60_000);
    expect(msUntilRefresh(tokens, tokens.expiresAt)).toBe(0);
  });

  it('decides: send, refresh first, or sign in again', () => {
    expect(tokenState(null, NOW)).toBe('sign-in');
    expect(tokenState(tokens, NOW)).toBe('valid');
    expect(tokenState(tokens, tokens.expiresAt)).toBe('refresh');
    expect(tokenState({ ...tokens, refreshToken: null }, tokens.expiresAt)).toBe('sign-in');
  });
});

describe('storage', () => {
  it('round-trips a token set', () => {
    const tokens: TokenSet = { idToken: 'i', accessToken: 'a', refreshToken: null, expiresAt: NOW };
    expect(parseStoredTokens(serializeTokens(tokens))).toEqual(tokens);
  });

  it('treats anything malformed as no tokens', () => {
    expect(parseStoredTokens(null)).toBeNull();
    expect(parseStoredTokens('')).toBeNull();
    expect(parseStoredTokens('{')).toBeNull();
    expect(parseStoredTokens('null')).toBeNull();
    expect(
      parseStoredTokens(JSON.stringify({ idToken: 'i', accessToken: 'a', expiresAt: 'soon' })),
    ).toBeNull();
    expect(parseStoredTokens(JSON.stringify({ idToken: 'i', accessToken: 'a', expiresAt: 1 }))).toBeNull();
  });
});

describe('user and errors', () => {
  it('shows email, else user name, else subject', () => {
    expect(displayNameFromIdToken(jwt({ sub: 's', email: 'a@b.c', 'cognito:username': 'u' }))).toBe('a@b.c');
    expect(displayNameFromIdToken(jwt({ sub: 's', 'cognito:username': 'u' }))).toBe('u');
    expect(displayNameFromIdToken(jwt({ sub: 's' }))).toBe('s');
    expect(displayNameFromIdToken('garbage')).toBe('signed-in user');
  });

  it('reads the token endpoint error', () => {
    expect(tokenErrorMessage(400, { error: 'invalid_grant' })).toBe('invalid_grant');
    expect(
      tokenErrorMessage(400, { error: 'invalid_grant', error_description: 'Refresh Token has expired' }),
    ).toBe('invalid_grant: Refresh Token has expired');
    expect(tokenErrorMessage(500, null)).toBe('The token endpoint answered 500');
  });
});
