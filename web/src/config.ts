/**
 * Runtime configuration, read from `./config.json` (next to index.html) when the app starts, so one
 * build serves both the deployed stack and the local cloud.
 *
 * deployed: { "mode": "cognito", "apiUrl", "region", "userPoolId", "clientId", "cognitoDomain", "redirectUri" }
 * local:    { "mode": "local", "apiUrl", "user" }
 */

export interface CognitoConfig {
  mode: 'cognito';
  apiUrl: string;
  region: string;
  userPoolId: string;
  clientId: string;
  cognitoDomain: string;
  redirectUri: string;
}

export interface LocalConfig {
  mode: 'local';
  apiUrl: string;
  user: string;
}

export type AppConfig = CognitoConfig | LocalConfig;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Validates the JSON and resolves `apiUrl` against `baseUrl` (the page's URL): "/api" and "api" work as
 * well as absolute URLs. The result has no trailing slash. Throws ConfigError listing every problem.
 */
export function parseConfig(raw: unknown, baseUrl: string): AppConfig {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError('config.json must hold a JSON object');
  }
  const value = raw as Record<string, unknown>;
  const problems: string[] = [];
  const text = (key: string): string => {
    const field = value[key];
    if (typeof field !== 'string' || field.trim() === '') {
      problems.push(`"${key}" must be a non-empty string`);
      return '';
    }
    return field.trim();
  };
  const absoluteUrl = (key: string, input: string): string => {
    try {
      return new URL(input, baseUrl).toString();
    } catch {
      problems.push(`"${key}" is not a URL: ${input}`);
      return '';
    }
  };
  const mode = value.mode;
  const apiUrl = text('apiUrl');
  const resolvedApi = apiUrl ? absoluteUrl('apiUrl', apiUrl).replace(/\/+$/, '') : '';

  let config: AppConfig | null = null;
  if (mode === 'local') {
    config = { mode, apiUrl: resolvedApi, user: text('user') };
  } else if (mode === 'cognito') {
    const cognitoDomain = text('cognitoDomain');
    const redirectUri = text('redirectUri');
    if (cognitoDomain && !/^https?:\/\//.test(cognitoDomain)) {
      problems.push(
        '"cognitoDomain" must be a full URL, e.g. https://<prefix>.auth.<region>.amazoncognito.com',
      );
    }
    config = {
      mode,
      apiUrl: resolvedApi,
      region: text('region'),
      userPoolId: text('userPoolId'),
      clientId: text('clientId'),
      cognitoDomain: cognitoDomain.replace(/\/+$/, ''),
      redirectUri: redirectUri ? absoluteUrl('redirectUri', redirectUri) : '',
    };
  } else {
    problems.push('"mode" must be "cognito" or "local"');
  }
  if (problems.length > 0 || !config) {
    throw new ConfigError(`config.json is not usable: ${problems.join('; ')}`);
  }
  return config;
}

export async function loadConfig(baseUrl: string): Promise<AppConfig> {
  const url = new URL('config.json', baseUrl);
  let response: Response;
  try {
    // `cache` is a browser RequestInit field (the cast keeps Node's typings, used by the unit tests, quiet).
    const init = { cache: 'no-store', headers: { Accept: 'application/json' } } as RequestInit;
    response = await fetch(url, init);
  } catch {
    throw new ConfigError(`Could not fetch ${url.pathname}: is the server running?`);
  }
  if (!response.ok) throw new ConfigError(`Could not load ${url.pathname}: ${response.status}`);
  let json: unknown;
  try {
    json = await response.json();
  } catch {
    throw new ConfigError(`${url.pathname} is not valid JSON`);
  }
  return parseConfig(json, baseUrl);
}
