/**
 * Signing in. cognito: Cognito managed login, authorization code + PKCE (S256), tokens in sessionStorage,
 * refreshed with the refresh token, the ID token sent as the bearer (API Gateway's JWT authorizer checks
 * `aud` = client id, which only the ID token carries). local: the local cloud's user, with a sign-out
 * that really signs out of this page so the flow is testable without Cognito.
 */
import type { CognitoConfig, LocalConfig } from '../../lambda/shared/web-config';
import {
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
} from './pkce';
import {
  displayNameFromIdToken,
  parseStoredTokens,
  serializeTokens,
  type TokenResponse,
  type TokenSet,
  tokenErrorMessage,
  tokenSetFromResponse,
  tokenState,
} from './tokens';

export interface AuthState {
  signedIn: boolean;
  /** Who is signed in, for the header. */
  user: string | null;
  /** Shown next to the Sign in button (a failed sign-in, an expired session). */
  message: string | null;
}

export interface Auth {
  readonly mode: 'cognito' | 'local';
  /** Called once at start; finishes a sign-in when Cognito redirected back with a code. */
  init(): Promise<AuthState>;
  state(): AuthState;
  /** Headers for an API request, refreshing expired tokens first. Throws SignedOutError. */
  requestHeaders(options?: { forceRefresh?: boolean }): Promise<Record<string, string>>;
  signIn(): Promise<void>;
  signOut(): void;
  /** Forgets the session here without leaving the page (the API refused it); shows the message. */
  expireSession(message: string): void;
  /** Called when the state changes (signed in, signed out, session expired). */
  onChange(listener: (state: AuthState) => void): void;
}

export class SignedOutError extends Error {
  override name = 'SignedOutError';
}

class TokenEndpointError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const KEY_PREFIX = 'photo-app.';

function storageGet(key: string): string | null {
  try {
    return sessionStorage.getItem(KEY_PREFIX + key);
  } catch {
    return null;
  }
}

function storageSet(key: string, value: string | null): void {
  try {
    if (value === null) sessionStorage.removeItem(KEY_PREFIX + key);
    else sessionStorage.setItem(KEY_PREFIX + key, value);
  } catch {
    // Storage disabled: the session lasts as long as the page.
  }
}

abstract class BaseAuth {
  protected current: AuthState = { signedIn: false, user: null, message: null };
  private listeners: ((state: AuthState) => void)[] = [];

  state(): AuthState {
    return this.current;
  }

  onChange(listener: (state: AuthState) => void): void {
    this.listeners.push(listener);
  }

  protected setState(state: AuthState): void {
    this.current = state;
    for (const listener of this.listeners) listener(state);
  }
}

export class LocalAuth extends BaseAuth implements Auth {
  readonly mode = 'local' as const;

  constructor(private readonly config: LocalConfig) {
    super();
  }

  async init(): Promise<AuthState> {
    const signedIn = storageGet('local-signed-out') !== 'true';
    this.current = { signedIn, user: signedIn ? this.config.user : null, message: null };
    return this.current;
  }

  async requestHeaders(): Promise<Record<string, string>> {
    if (!this.current.signedIn) throw new SignedOutError('Signed out');
    // The local cloud signs its user in by itself; the header names the user explicitly (api.ts).
    return { 'X-Local-User': this.config.user };
  }

  async signIn(): Promise<void> {
    storageSet('local-signed-out', null);
    this.setState({ signedIn: true, user: this.config.user, message: null });
  }

  signOut(): void {
    storageSet('local-signed-out', 'true');
    this.setState({ signedIn: false, user: null, message: null });
  }

  expireSession(message: string): void {
    this.setState({ signedIn: false, user: null, message });
  }
}

interface PendingSignIn {
  verifier: string;
  state: string;
  /** The route the user was on (e.g. a photo's hash), restored after the redirect. */
  returnHash: string;
}

export class CognitoAuth extends BaseAuth implements Auth {
  readonly mode = 'cognito' as const;
  private tokens: TokenSet | null = null;
  private refreshing: Promise<TokenSet> | null = null;

  constructor(private readonly config: CognitoConfig) {
    super();
  }

  async init(): Promise<AuthState> {
    const callback = parseCallback(window.location.search);
    if (callback.kind !== 'none') {
      const pending = this.takePendingSignIn();
      // Drop ?code=&state= from the address bar (and history) whatever happens next.
      window.history.replaceState(null, '', `${window.location.pathname}${pending?.returnHash ?? ''}`);
      if (callback.kind === 'error') {
        return this.signedOut(`Sign-in failed: ${callback.description ?? callback.error}`);
      }
      if (!pending || !stateMatches(pending.state, callback.state)) {
        return this.signedOut(
          'The sign-in response did not match this browser tab (state mismatch). Sign in again.',
        );
      }
      try {
        const tokens = await this.requestTokens(
          buildCodeExchangeBody(this.config, callback.code, pending.verifier),
          null,
        );
        this.store(tokens);
        return this.signedIn(tokens);
      } catch (error) {
        return this.signedOut(`Sign-in failed: ${(error as Error).message}`);
      }
    }

    const stored = parseStoredTokens(storageGet('tokens'));
    const next = tokenState(stored, Date.now());
    if (stored && next === 'valid') return this.signedIn(stored);
    if (stored && next === 'refresh') {
      this.tokens = stored;
      try {
        return this.signedIn(await this.refresh());
      } catch (error) {
        if (error instanceof SignedOutError) return this.current;
        // Offline or the token endpoint is down: keep the session; requests will retry the refresh.
        return this.signedIn(stored);
      }
    }
    this.store(null);
    return this.signedOut(null);
  }

  async requestHeaders(options: { forceRefresh?: boolean } = {}): Promise<Record<string, string>> {
    let tokens = this.tokens;
    const next = tokenState(tokens, Date.now());
    if (next === 'sign-in' || !tokens) {
      if (tokens) this.expire();
      throw new SignedOutError('Signed out');
    }
    if (next === 'refresh' || options.forceRefresh) tokens = await this.refresh();
    return { Authorization: `Bearer ${tokens.idToken}` };
  }

  async signIn(): Promise<void> {
    const verifier = createCodeVerifier();
    const state = createState();
    const codeChallenge = await createCodeChallenge(verifier);
    const pending: PendingSignIn = { verifier, state, returnHash: window.location.hash };
    storageSet('pkce', JSON.stringify(pending));
    window.location.assign(buildAuthorizeUrl(this.config, { codeChallenge, state }));
  }

  signOut(): void {
    this.store(null);
    this.current = { signedIn: false, user: null, message: null };
    window.location.assign(buildLogoutUrl(this.config));
  }

  expireSession(message: string): void {
    this.store(null);
    this.setState({ signedIn: false, user: null, message });
  }

  private takePendingSignIn(): PendingSignIn | null {
    const text = storageGet('pkce');
    storageSet('pkce', null);
    if (!text) return null;
    try {
      const value = JSON.parse(text) as Partial<PendingSignIn>;
      if (typeof value.verifier === 'string' && typeof value.state === 'string') {
        return {
          verifier: value.verifier,
          state: value.state,
          returnHash: typeof value.returnHash === 'string' ? value.returnHash : '',
        };
      }
    } catch {
      // fall through
    }
    return null;
  }

  /** One refresh at a time: concurrent requests wait for the same one. */
  private refresh(): Promise<TokenSet> {
    const refreshToken = this.tokens?.refreshToken;
    if (!refreshToken) {
      this.expire();
      return Promise.reject(new SignedOutError('Signed out'));
    }
    if (!this.refreshing) {
      this.refreshing = this.requestTokens(buildRefreshBody(this.config, refreshToken), refreshToken)
        .then((tokens) => {
          this.store(tokens);
          return tokens;
        })
        .catch((error: unknown) => {
          if (error instanceof TokenEndpointError && error.status >= 400 && error.status < 500) {
            // invalid_grant: the refresh token expired or was revoked.
            this.expire();
            throw new SignedOutError(error.message);
          }
          throw error;
        })
        .finally(() => {
          this.refreshing = null;
        });
    }
    return this.refreshing;
  }

  private async requestTokens(body: string, previousRefreshToken: string | null): Promise<TokenSet> {
    const response = await fetch(tokenEndpoint(this.config), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body,
    });
    const json: unknown = await response.json().catch(() => null);
    if (!response.ok) throw new TokenEndpointError(response.status, tokenErrorMessage(response.status, json));
    return tokenSetFromResponse(json as TokenResponse, Date.now(), previousRefreshToken);
  }

  private store(tokens: TokenSet | null): void {
    this.tokens = tokens;
    storageSet('tokens', tokens ? serializeTokens(tokens) : null);
  }

  private signedIn(tokens: TokenSet): AuthState {
    this.tokens = tokens;
    const state = { signedIn: true, user: displayNameFromIdToken(tokens.idToken), message: null };
    if (this.current.signedIn) this.current = state;
    else this.setState(state);
    return state;
  }

  private signedOut(message: string | null): AuthState {
    this.setState({ signedIn: false, user: null, message });
    return this.current;
  }

  private expire(): void {
    this.store(null);
    if (this.current.signedIn) this.signedOut('Your session has ended. Sign in again.');
  }
}
