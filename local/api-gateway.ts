/**
 * API Gateway (HTTP API) on loopback, with the web app at the same URL: routes, integrations and
 * authorizers come from the template; each request becomes a payload format 2.0 event for the route's
 * function, and its answer becomes the HTTP response, as API Gateway maps them.
 *
 * Sign-in: on AWS a JWT authorizer checks the Cognito token. Locally a local user is signed in: the
 * route's JWT claims carry `sub` = the `X-Local-User` header when given (so isolation between users is
 * testable), else LOCAL_OWNER. Because of that header, only this gateway's own pages may call the
 * API: a request whose Host is not the gateway's loopback host:port (DNS rebinding) is refused, and so
 * is an /api request whose Origin is another site's.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { WEB_CONFIG_FILE } from '../lambda/shared/web-config';
import { webAppContentSecurityPolicy } from '../lib/content-security-policy';
import { bindHttpServer, RequestBodyTooLarge, readBody, urlOf } from './http';
import type { InvokeResult } from './lambda/runtime';
import { LOCAL_OWNER, LOOPBACK_HOST } from './ports';
import { type CfnTemplate, LOCAL_ACCOUNT, type LocalNames, resourcesOfType } from './template';

/** Where the API is mounted on the shared origin; the web app's config.json points here. */
export const API_PREFIX = '/api';

const LOCAL_USER_HEADER = 'x-local-user';
const LOCAL_USER = /^[A-Za-z0-9._@-]{1,64}$/;
/** API Gateway's request payload limit (HTTP and REST APIs): 10 MB. */
export const MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;

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
  /** A loopback address; anything else is refused. @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** A listener already bound (see bindHttpServer), used instead of host and port. */
  server?: Server;
  routes: LocalRoute[];
  invoke: (functionArn: string, event: unknown) => Promise<InvokeResult>;
  /** Built web app to serve at `/`; absent: only the API is served. */
  webRoot?: string;
  /** Served as /config.json for the web app: a LocalConfig (lambda/shared/web-config.ts), see local/web-config.ts. */
  webConfig: object;
  /** The local S3 endpoint the app's presigned URLs point at, for the app's Content-Security-Policy. */
  s3Url?: string;
}): Promise<LocalApiGateway> {
  const server =
    options.server ??
    (await bindHttpServer(options.host ?? LOOPBACK_HOST, options.port ?? 0, 'The local API Gateway'));
  const url = urlOf(server);
  const { host: ownHost, port } = new URL(url);
  /** The Host values this gateway answers to: its own loopback host:port, by address or by name. */
  const ownHosts = new Set([ownHost, `localhost:${port}`]);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // DNS rebinding: a site whose name now resolves to 127.0.0.1 sends its own name as Host.
    const requestHost = (request.headers.host ?? '').toLowerCase();
    if (!ownHosts.has(requestHost)) {
      return forbidden(
        response,
        `Host "${request.headers.host ?? ''}" is not this local gateway's (${[...ownHosts].join(' or ')})`,
      );
    }
    const url = new URL(request.url ?? '/', 'http://local');
    if (url.pathname === `/${WEB_CONFIG_FILE}`) return json(response, 200, options.webConfig);
    if (url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`)) {
      // Browsers send Origin on cross-origin requests (and on same-origin POSTs): only the gateway's
      // own pages may call the API, which signs in whoever X-Local-User names. No Origin: not a
      // cross-origin browser request (curl, the SDK, a same-origin GET).
      const origin = request.headers.origin;
      if (origin !== undefined && origin !== `http://${requestHost}`) {
        return forbidden(response, `Origin "${origin}" may not call this local API`);
      }
      // Over API Gateway's payload limit by its own account: refused before reading a byte of it.
      if (Number(request.headers['content-length'] ?? 0) > MAX_REQUEST_BODY_BYTES) {
        return tooLarge(request, response);
      }
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

    let body: Buffer;
    try {
      body = await readBody(request, MAX_REQUEST_BODY_BYTES, { stopEarly: true });
    } catch (error) {
      if (error instanceof RequestBodyTooLarge) return tooLarge(request, response);
      throw error;
    }
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
      // The same policy CloudFront sends (lib/web-hosting.ts), with the local origins: this gateway
      // serves the app and /api ('self'); images and uploads go to the local S3.
      'content-security-policy': webAppContentSecurityPolicy({
        photoBucketOrigin: localS3Origin(options.s3Url),
      }),
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'strict-origin-when-cross-origin',
    });
    response.end(readFileSync(file));
  }

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    handle(request, response).catch((error) => {
      if (!response.headersSent) json(response, 500, { message: 'Internal Server Error' });
      console.error('[local api gateway]', error);
    });
  });
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

function forbidden(response: ServerResponse, message: string): void {
  response.writeHead(403, {
    'content-type': 'text/plain; charset=utf-8',
    'x-content-type-options': 'nosniff',
  });
  response.end(`Forbidden: ${message}\n`);
}

/**
 * API Gateway's answer to a body over its payload limit. The rest of the body is not read into
 * memory: the connection closes once the answer is sent (Node discards what still arrives meanwhile),
 * and is cut a moment later if the client keeps sending.
 */
function tooLarge(request: IncomingMessage, response: ServerResponse): void {
  request.on('error', () => {}); // the client's side of the cut, below
  response.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
  response.end(JSON.stringify({ message: 'Request Entity Too Large' }));
  response.once('finish', () => {
    setTimeout(() => request.socket.destroy(), 2000).unref();
  });
}

/** The origins a browser may send for the gateway at `url`: it is the same server by address or by name. */
export function browserOrigins(url: string): string[] {
  const { port } = new URL(url);
  return [...new Set([url, `http://localhost:${port}`, `http://127.0.0.1:${port}`])];
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

/**
 * The origin presigned URLs for the local S3 have: path-style on an IP address
 * (http://127.0.0.1:4601/bucket/key), virtual-hosted on a name (http://bucket.localhost:4601/key).
 */
function localS3Origin(s3Url: string | undefined): string | undefined {
  if (!s3Url) return undefined;
  const { protocol, hostname, host, origin } = new URL(s3Url);
  return /^[\d.]+$|^\[/.test(hostname) ? origin : `${protocol}//*.${host}`;
}
