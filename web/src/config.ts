/**
 * Runtime configuration, read from `./config.json` (next to index.html) when the app starts, so one
 * build serves both the deployed stack and the local cloud. Its contract (the fields each mode has)
 * is lambda/shared/web-config.ts, which lib/web-hosting.ts and the local cloud write from.
 */

import { type AppConfig, WEB_CONFIG_FILE } from '../../lambda/shared/web-config';
import { ASL_STATE_TYPES, GRAPH_EDGE_KINDS, type WorkflowGraph } from '../../lambda/shared/workflow';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Validates the JSON and resolves `apiUrl` against `baseUrl` (the page's URL): "/api" and "api" work as
 * well as absolute URLs. The result has no trailing slash. Throws ConfigError listing every problem.
 */
export function parseConfig(raw: unknown, baseUrl: string): AppConfig {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`${WEB_CONFIG_FILE} must hold a JSON object`);
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
  const workflow = workflowGraph(value.workflow);
  if (!workflow) {
    problems.push(
      '"workflow" must be the state machine graph { startAt, states: [{ name, type }], edges: [{ from, to, kind }] }',
    );
  }
  const resolvedApi = apiUrl ? absoluteUrl('apiUrl', apiUrl).replace(/\/+$/, '') : '';

  let config: AppConfig | null = null;
  if (mode === 'local') {
    config = { mode, apiUrl: resolvedApi, user: text('user'), workflow: workflow! };
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
      workflow: workflow!,
    };
  } else {
    problems.push('"mode" must be "cognito" or "local"');
  }
  if (problems.length > 0 || !config) {
    throw new ConfigError(`${WEB_CONFIG_FILE} is not usable: ${problems.join('; ')}`);
  }
  return config;
}

/** The graph when it has the WorkflowGraph shape and its edges join its states; null otherwise. */
function workflowGraph(raw: unknown): WorkflowGraph | null {
  if (!raw || typeof raw !== 'object') return null;
  const { startAt, states, edges } = raw as Record<string, unknown>;
  if (typeof startAt !== 'string' || !Array.isArray(states) || !Array.isArray(edges)) return null;
  const names = new Set<string>();
  for (const state of states as Record<string, unknown>[]) {
    if (
      typeof state?.name !== 'string' ||
      !(ASL_STATE_TYPES as readonly string[]).includes(state.type as string)
    )
      return null;
    names.add(state.name);
  }
  const joined = (edge: Record<string, unknown>) =>
    names.has(edge?.from as string) &&
    names.has(edge?.to as string) &&
    (GRAPH_EDGE_KINDS as readonly string[]).includes(edge?.kind as string);
  if (!names.has(startAt) || !(edges as Record<string, unknown>[]).every(joined)) return null;
  return raw as WorkflowGraph;
}

export async function loadConfig(baseUrl: string): Promise<AppConfig> {
  const url = new URL(WEB_CONFIG_FILE, baseUrl);
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
