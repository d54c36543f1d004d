/**
 * OAuth 2.0 authorization code flow with PKCE (RFC 7636, S256) against Cognito's managed login.
 * Pure helpers: no DOM, only WebCrypto, so they run (and are unit-tested) in Node too.
 */

/** base64url without padding (RFC 4648 §5), as PKCE and JWTs use it. */
export function base64UrlEncode(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Decodes base64url (padding optional) to bytes; throws on characters outside the alphabet. */
export function base64UrlDecode(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) throw new Error('Not base64url');
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A random base64url string from `byteLength` random bytes (32 bytes: 43 characters, 256 bits). */
export function randomUrlSafeString(byteLength = 32): string {
  const bytes = new Uint8Array(byteLength);
  crypto.getRandomValues(bytes);
  return base64UrlEncode(bytes);
}

/** A code verifier: 43 characters from the unreserved set, as RFC 7636 §4.1 asks. */
export function createCodeVerifier(): string {
  return randomUrlSafeString(32);
}

/** `state` guards the redirect against CSRF; it is checked when Cognito sends the user back. */
export function createState(): string {
  return randomUrlSafeString(16);
}

/** S256 challenge: base64url(SHA-256(ASCII(verifier))). */
export async function createCodeChallenge(verifier: string): Promise<string> {
  if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) {
    throw new Error('A PKCE code verifier is 43 to 128 unreserved characters');
  }
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64UrlEncode(new Uint8Array(digest));
}

export interface CognitoEndpoints {
  /** `https://<prefix>.auth.<region>.amazoncognito.com`, no trailing slash needed. */
  cognitoDomain: string;
  clientId: string;
  redirectUri: string;
}

export const OAUTH_SCOPES = ['openid', 'email', 'profile'] as const;

function endpoint(domain: string, path: string): string {
  return `${domain.replace(/\/+$/, '')}${path}`;
}

export function buildAuthorizeUrl(
  config: CognitoEndpoints,
  params: { codeChallenge: string; state: string },
): string {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: OAUTH_SCOPES.join(' '),
    code_challenge: params.codeChallenge,
    code_challenge_method: 'S256',
    state: params.state,
  });
  return `${endpoint(config.cognitoDomain, '/oauth2/authorize')}?${query}`;
}

export function tokenEndpoint(config: CognitoEndpoints): string {
  return endpoint(config.cognitoDomain, '/oauth2/token');
}

/** Form body (application/x-www-form-urlencoded) exchanging the authorization code. */
export function buildCodeExchangeBody(config: CognitoEndpoints, code: string, codeVerifier: string): string {
  return new URLSearchParams({
    grant_type: 'authorization_code',
    client_id: config.clientId,
    code,
    redirect_uri: config.redirectUri,
    code_verifier: codeVerifier,
  }).toString();
}

/** Form body refreshing the tokens (Cognito returns new id and access tokens, not a new refresh token). */
export function buildRefreshBody(config: CognitoEndpoints, refreshToken: string): string {
  return new URLSearchParams({
    grant_type: 'refresh_token',
    client_id: config.clientId,
    refresh_token: refreshToken,
  }).toString();
}

export function buildLogoutUrl(config: CognitoEndpoints): string {
  const query = new URLSearchParams({ client_id: config.clientId, logout_uri: config.redirectUri });
  return `${endpoint(config.cognitoDomain, '/logout')}?${query}`;
}

export type CallbackParams =
  | { kind: 'code'; code: string; state: string | null }
  | { kind: 'error'; error: string; description: string | null; state: string | null }
  | { kind: 'none' };

/** Reads what Cognito appended to the redirect URI (`?code=&state=` or `?error=&error_description=`). */
export function parseCallback(search: string): CallbackParams {
  const params = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search);
  const state = params.get('state');
  const error = params.get('error');
  if (error) return { kind: 'error', error, description: params.get('error_description'), state };
  const code = params.get('code');
  if (code) return { kind: 'code', code, state };
  return { kind: 'none' };
}

/** Constant-time-ish comparison of the returned state with the stored one; a missing side never matches. */
export function stateMatches(expected: string | null, actual: string | null): boolean {
  if (!expected || !actual || expected.length !== actual.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ actual.charCodeAt(i);
  return diff === 0;
}
