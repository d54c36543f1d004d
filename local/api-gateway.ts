/**
 * API Gateway (HTTP API) on loopback, with the web app at the same URL: routes, integrations and
 * authorizers come from the template; each request becomes a payload format 2.0 event for the route's
 * function, and its answer becomes the HTTP response, as API Gateway maps them.
 *
 * Sign-in: on AWS a JWT authorizer checks the Cognito token. Locally a local user is signed in: the
 * route's JWT claims carry `sub` = the `X-Local-User` header when given (so isolation between users is
 * testable), else LOCAL_OWNER.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import type { InvokeResult } from './lambda/runtime';
import { LOCAL_OWNER } from './pipeline-run';
import { type CfnTemplate, LOCAL_ACCOUNT, type LocalNames, resourcesOfType } from './template';

/** Where the API is mounted on the shared origin; the web app's config.json points here. */
export const API_PREFIX = '/api';

const LOCAL_USER_HEADER = 'x-local-user';
const LOCAL_USER = /^[A-Za-z0-9._@-]{1,64}$/;

export interface LocalRoute {
  method: string;
  /** e.g. /photos/{photoId} */
  path: string;
  routeKey: string;
  functionArn: string;
  authorization: 'NONE' | 'JWT';
  matcher: RegExp;
  parameterNames: string[];
}

export interface LocalApiGateway {
  url: string;
  apiUrl: string;
  routes: LocalRoute[];
  close(): Promise<void>;
}

export function routesFrom(template: CfnTemplate, names: LocalNames): LocalRoute[] {
  const integrations = new Map(
    resourcesOfType(template, 'AWS::ApiGatewayV2::Integration').map(([logicalId, resource]) => {
      const props = resource.Properties as {
        IntegrationType: string;
        IntegrationUri: unknown;
        PayloadFormatVersion?: string;
      };
      if (props.IntegrationType !== 'AWS_PROXY' || props.PayloadFormatVersion !== '2.0') {
        throw new Error(
          `${logicalId}: the local API Gateway runs Lambda proxy integrations with payload format 2.0 only`,
        );
      }
      return [logicalId, names.resolve<string>(props.IntegrationUri)] as const;
    }),
  );
  return resourcesOfType(template, 'AWS::ApiGatewayV2::Route').map(([logicalId, resource]) => {
    const props = resource.Properties as { RouteKey: string; Target: unknown; AuthorizationType?: string };
    const target = JSON.stringify(props.Target);
    const integrationId = [...integrations.keys()].find((id) => target.includes(`"${id}"`));
    if (!integrationId)
      throw new Error(`Route ${props.RouteKey} (${logicalId}) has no Lambda integration in the template`);
    const [method, path] = props.RouteKey.split(' ');
    const parameterNames: string[] = [];
    const pattern = path.replace(/\{([^}+]+)(\+?)\}/g, (_match, name: string, greedy: string) => {
      parameterNames.push(name);
      return greedy ? '(.+)' : '([^/]+)';
    });
    return {
      method,
      path,
      routeKey: props.RouteKey,
      functionArn: integrations.get(integrationId)!,
      authorization: (props.AuthorizationType ?? 'NONE') as 'NONE' | 'JWT',
      matcher: new RegExp(`^${pattern}$`),
      parameterNames,
    };
  });
}

export async function startApiGateway(options: {
  host: string;
  port: number;
  routes: LocalRoute[];
  invoke: (functionArn: string, event: unknown) => Promise<InvokeResult>;
  /** Built web app to serve at `/`; absent: only the API is served. */
  webRoot?: string;
  /** Served as /config.json for the web app. */
  webConfig: Record<string, unknown>;
}): Promise<LocalApiGateway> {
  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error) => {
      if (!response.headersSent) json(response, 500, { message: 'Internal Server Error' });
      console.error('[local api gateway]', error);
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://local');
    if (url.pathname === '/config.json') return json(response, 200, options.webConfig);
    if (url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`)) {
      return api(request, response, url, url.pathname.slice(API_PREFIX.length) || '/');
    }
    return staticFile(response, url.pathname);
  }

  async function api(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    path: string,
  ): Promise<void> {
    const method = request.method ?? 'GET';
    const route =
      options.routes.find((r) => r.method === method && r.matcher.test(path)) ??
      options.routes.find((r) => r.method === 'ANY' && r.matcher.test(path));
    if (!route) return json(response, 404, { message: 'Not Found' });
    const user = String(request.headers[LOCAL_USER_HEADER] ?? LOCAL_OWNER);
    if (route.authorization === 'JWT' && !LOCAL_USER.test(user))
      return json(response, 401, { message: 'Unauthorized' });

    const body = await readBody(request);
    const match = route.matcher.exec(path)!;
    const event = payloadV2(request, url, path, route, body, user, match.slice(1));
    const outcome = await options.invoke(route.functionArn, event);
    // A function error is API Gateway's 500, whatever the function said.
    if (!outcome.ok) return json(response, 500, { message: 'Internal Server Error' });
    send(response, outcome.result);
  }

  function staticFile(response: ServerResponse, pathname: string): void {
    if (!options.webRoot) {
      json(response, 404, { message: 'The web app is not built' });
      return;
    }
    const relative = normalize(decodeURIComponent(pathname)).replace(/^(\.\.[/\\])+/, '');
    let file = join(options.webRoot, relative);
    if (!file.startsWith(options.webRoot) || !existsSync(file) || statSync(file).isDirectory()) {
      file = join(options.webRoot, 'index.html'); // the app routes with location.hash; anything else is the app
    }
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
    });
    response.end(readFileSync(file));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host}:${port}`;
  return {
    url,
    apiUrl: `${url}${API_PREFIX}`,
    routes: options.routes,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The event API Gateway sends a Lambda proxy integration, payload format 2.0. */
function payloadV2(
  request: IncomingMessage,
  url: URL,
  path: string,
  route: LocalRoute,
  body: Buffer,
  user: string,
  parameterValues: string[],
) {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && name !== 'cookie')
      headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams)
    query[name] = name in query ? `${query[name]},${value}` : value;
  const now = new Date();
  const textual = /^(application\/(json|x-www-form-urlencoded)|text\/)/.test(headers['content-type'] ?? '');
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: path,
    rawQueryString: url.search.slice(1),
    cookies: request.headers.cookie?.split('; '),
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    pathParameters:
      route.parameterNames.length > 0
        ? Object.fromEntries(
            route.parameterNames.map((name, i) => [name, decodePathValue(parameterValues[i])]),
          )
        : undefined,
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: 'local',
      authorizer:
        route.authorization === 'JWT'
          ? { jwt: { claims: { sub: user, 'cognito:username': user, token_use: 'id' }, scopes: null } }
          : undefined,
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: request.method ?? 'GET',
        path,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: route.routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.length > 0 ? (textual ? body.toString('utf8') : body.toString('base64')) : undefined,
    isBase64Encoded: body.length > 0 && !textual,
  };
}

/** A path parameter as the function sees it: decoded, or as sent when it is not valid percent-encoding
 * (`%ZZ`), so the function's own validation answers instead of the gateway failing with a 500. */
function decodePathValue(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** How API Gateway turns a 2.0 function result into a response. */
function send(response: ServerResponse, result: unknown): void {
  if (typeof result === 'object' && result !== null && 'statusCode' in result) {
    const { statusCode, headers, body, isBase64Encoded, cookies } = result as {
      statusCode: number;
      headers?: Record<string, string>;
      body?: string;
      isBase64Encoded?: boolean;
      cookies?: string[];
    };
    response.writeHead(statusCode, { ...headers, ...(cookies ? { 'set-cookie': cookies } : {}) });
    response.end(body === undefined ? undefined : isBase64Encoded ? Buffer.from(body, 'base64') : body);
    return;
  }
  // Anything else is taken as a JSON body with status 200.
  json(response, 200, result);
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(typeof body === 'string' ? body : JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    // API Gateway's payload limit.
    if (size > 10 * 1024 * 1024) throw new Error('Request body over 10 MB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};
