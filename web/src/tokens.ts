/**
 * Cognito token handling: what the token endpoint returns, when tokens count as expired, who the user
 * is, and how the set is kept in sessionStorage. Pure functions (time passed in), unit-tested in Node.
 */
import { base64UrlDecode } from './pkce';

/** The token endpoint's JSON answer (RFC 6749 §5.1; Cognito adds id_token). */
export interface TokenResponse {
  id_token?: string;
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  token_type?: string;
}

export interface TokenSet {
  idToken: string;
  accessToken: string;
  refreshToken: string | null;
  /** Epoch milliseconds when the id/access tokens stop being accepted. */
  expiresAt: number;
}

/** Refresh this long before the tokens expire, so a request never leaves with a token about to lapse. */
export const EXPIRY_SKEW_MS = 60_000;

/** The JWT's payload (claims), or null when the token is not a readable JWT. No signature check: the API does that. */
export function decodeJwtPayload(token: string): Record<string, unknown> | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const json = new TextDecoder().decode(base64UrlDecode(parts[1]));
    const payload: unknown = JSON.parse(json);
    return payload && typeof payload === 'object' && !Array.isArray(payload)
      ? (payload as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** The token's `exp` as epoch milliseconds, or null. */
export function jwtExpiry(token: string): number | null {
  const exp = decodeJwtPayload(token)?.exp;
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : null;
}

/**
 * Builds the stored set from a token response. A refresh response carries no refresh token: the previous
 * one is kept. The expiry is the earliest of `expires_in` and the id and access tokens' own `exp`.
 */
export function tokenSetFromResponse(
  response: TokenResponse,
  now: number,
  previousRefreshToken: string | null = null,
): TokenSet {
  if (!response.id_token || !response.access_token) {
    throw new Error('The token endpoint answered without an id token and an access token');
  }
  const candidates = [jwtExpiry(response.id_token), jwtExpiry(response.access_token)];
  if (typeof response.expires_in === 'number' && response.expires_in > 0) {
    candidates.push(now + response.expires_in * 1000);
  }
  const known = candidates.filter((value): value is number => value !== null);
  return {
    idToken: response.id_token,
    accessToken: response.access_token,
    refreshToken: response.refresh_token ?? previousRefreshToken,
    // Without any expiry information, assume Cognito's shortest token lifetime (5 minutes).
    expiresAt: known.length > 0 ? Math.min(...known) : now + 5 * 60_000,
  };
}

/** True when the tokens have expired or will within `skewMs`. */
export function isExpired(
  tokens: Pick<TokenSet, 'expiresAt'>,
  now: number,
  skewMs = EXPIRY_SKEW_MS,
): boolean {
  return now + skewMs >= tokens.expiresAt;
}

export type TokenState = 'valid' | 'refresh' | 'sign-in';

/** What to do before a request: send the token, refresh it first, or ask the user to sign in again. */
export function tokenState(tokens: TokenSet | null, now: number, skewMs = EXPIRY_SKEW_MS): TokenState {
  if (!tokens) return 'sign-in';
  if (!isExpired(tokens, now, skewMs)) return 'valid';
  return tokens.refreshToken ? 'refresh' : 'sign-in';
}

/** Milliseconds until the tokens should be refreshed (0 when already due). */
export function msUntilRefresh(
  tokens: Pick<TokenSet, 'expiresAt'>,
  now: number,
  skewMs = EXPIRY_SKEW_MS,
): number {
  return Math.max(0, tokens.expiresAt - skewMs - now);
}

/** The name to show for the signed-in user: email, else Cognito user name, else subject. */
export function displayNameFromIdToken(idToken: string): string {
  const claims = decodeJwtPayload(idToken) ?? {};
  for (const claim of ['email', 'cognito:username', 'preferred_username', 'username', 'sub']) {
    const value = claims[claim];
    if (typeof value === 'string' && value) return value;
  }
  return 'signed-in user';
}

export function serializeTokens(tokens: TokenSet): string {
  return JSON.stringify(tokens);
}

/** Reads a stored token set back; anything malformed counts as no tokens. */
export function parseStoredTokens(text: string | null): TokenSet | null {
  if (!text) return null;
  try {
    const value = JSON.parse(text) as Partial<TokenSet> | null;
    if (
      value &&
      typeof value.idToken === 'string' &&
      typeof value.accessToken === 'string' &&
      (value.refreshToken === null || typeof value.refreshToken === 'string') &&
      typeof value.expiresAt === 'number' &&
      Number.isFinite(value.expiresAt)
    ) {
      return {
        idToken: value.idToken,
        accessToken: value.accessToken,
        refreshToken: value.refreshToken,
        expiresAt: value.expiresAt,
      };
    }
  } catch {
    // fall through
  }
  return null;
}

/** The token endpoint's error answer: `{ "error": "invalid_grant", "error_description": "..." }`. */
export function tokenErrorMessage(status: number, body: unknown): string {
  if (body && typeof body === 'object') {
    const { error, error_description: description } = body as {
      error?: unknown;
      error_description?: unknown;
    };
    if (typeof error === 'string') {
      return typeof description === 'string' && description ? `${error}: ${description}` : error;
    }
  }
  return `The token endpoint answered ${status}`;
}
