/**
 * The local API Gateway's edges, without a cloud behind it: only its own loopback Host and its own
 * Origin reach the API (DNS rebinding and cross-site pages are refused), and a body over API Gateway's
 * 10 MB payload limit is a 413, not a 500, without the gateway holding on to it.
 */
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LocalApiGateway,
  type LocalRoute,
  MAX_REQUEST_BODY_BYTES,
  startApiGateway,
} from '../../local/api-gateway';

const ROUTES: LocalRoute[] = [
  {
    method: 'GET',
    path: '/photos',
    routeKey: 'GET /photos',
    functionArn: 'arn:aws:lambda:local:000000000000:function:list',
    authorization: 'JWT',
    matcher: /^\/photos$/,
    parameterNames: [],
  },
  {
    method: 'POST',
    path: '/photos',
    routeKey: 'POST /photos',
    functionArn: 'arn:aws:lambda:local:000000000000:function:create',
    authorization: 'JWT',
    matcher: /^\/photos$/,
    parameterNames: [],
  },
];

let gateway: LocalApiGateway;
let port: number;
const invoked: { routeKey: string; bodyBytes: number; user: string }[] = [];

beforeAll(async () => {
  gateway = await startApiGateway({
    port: 0,
    routes: ROUTES,
    webConfig: { mode: 'local' },
    invoke: async (_arn, event) => {
      const e = event as {
        routeKey: string;
        body?: string;
        isBase64Encoded: boolean;
        requestContext: { authorizer: { jwt: { claims: { sub: string } } } };
      };
      const bodyBytes = e.body ? Buffer.from(e.body, e.isBase64Encoded ? 'base64' : 'utf8').length : 0;
      invoked.push({ routeKey: e.routeKey, bodyBytes, user: e.requestContext.authorizer.jwt.claims.sub });
      return { ok: true, result: { statusCode: 200, body: JSON.stringify({ bodyBytes }) } } as never;
    },
  });
  port = Number(new URL(gateway.url).port);
});

afterAll(async () => {
  await gateway?.close();
});

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

/** A request with exactly these headers (fetch would not let a test set Host). */
function send(
  method: string,
  path: string,
  headers: OutgoingHttpHeaders,
  body?: Buffer | ((write: (chunk: Buffer) => boolean) => void),
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    if (typeof body === 'function') body((chunk) => req.write(chunk));
    else if (body) req.write(body);
    req.end();
  });
}

describe('the local API Gateway', () => {
  it('listens on 127.0.0.1 only, and refuses to start on another address', async () => {
    expect(new URL(gateway.url).hostname).toBe('127.0.0.1');
    for (const host of ['0.0.0.0', '::', '192.0.2.1']) {
      await expect(
        startApiGateway({ host, port: 0, routes: ROUTES, webConfig: {}, invoke: async () => ({}) as never }),
      ).rejects.toThrow(/loopback only/);
    }
  });

  it('answers its own loopback Host, by address and by name', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`]) {
      const answer = await send('GET', '/api/photos', { host });
      expect(answer.status, host).toBe(200);
    }
    expect((await send('GET', '/config.json', { host: `localhost:${port}` })).status).toBe(200);
  });

  it('refuses any other Host with a plain 403 (DNS rebinding), the web app and config.json included', async () => {
    const before = invoked.length;
    for (const host of [
      `rebind.attacker.example:${port}`,
      'rebind.attacker.example',
      `127.0.0.1:${port + 1}`,
      '127.0.0.1',
      `localhost.attacker.example:${port}`,
    ]) {
      for (const path of ['/api/photos', '/config.json', '/']) {
        const answer = await send('GET', path, { host, 'x-local-user': 'someone-else' });
        expect(answer.status, `${host} ${path}`).toBe(403);
        expect(answer.contentType).toMatch(/^text\/plain/);
        expect(answer.body).toMatch(/^Forbidden: Host/);
      }
    }
    // No Host at all (HTTP/1.0).
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.end('GET /api/photos HTTP/1.0\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk;
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 403 /);
    expect(invoked.length).toBe(before);
  });

  it("refuses /api requests carrying another site's Origin, before the function runs", async () => {
    const before = invoked.length;
    for (const origin of [
      'http://attacker.example',
      `http://127.0.0.1:${port + 1}`,
      `https://127.0.0.1:${port}`,
      `http://localhost:${port}`, // another origin than the page's own (127.0.0.1:port)
      'null',
    ]) {
      for (const method of ['GET', 'POST', 'OPTIONS']) {
        const answer = await send(method, '/api/photos', { host: `127.0.0.1:${port}`, origin });
        expect(answer.status, `${method} from ${origin}`).toBe(403);
        expect(answer.contentType).toMatch(/^text\/plain/);
        expect(answer.body).toMatch(/^Forbidden: Origin/);
      }
    }
    expect(invoked.length).toBe(before);
  });

  it('serves its own origin, and requests without an Origin (curl, the SDK, same-origin GETs)', async () => {
    const own = await send(
      'POST',
      '/api/photos',
      { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}`, 'content-type': 'application/json' },
      Buffer.from('{}'),
    );
    expect(own.status).toBe(200);
    const byName = await send('GET', '/api/photos', {
      host: `localhost:${port}`,
      origin: `http://localhost:${port}`,
    });
    expect(byName.status).toBe(200);
    expect(
      (await send('GET', '/api/photos', { host: `127.0.0.1:${port}`, 'x-local-user': 'bob' })).status,
    ).toBe(200);
    expect(invoked.at(-1)?.user).toBe('bob');
  });

  it('passes a body of exactly 10 MB to the function', async () => {
    const answer = await send(
      'POST',
      '/api/photos',
      { host: `127.0.0.1:${port}`, 'content-type': 'application/octet-stream' },
      Buffer.alloc(MAX_REQUEST_BODY_BYTES, 1),
    );
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ bodyBytes: MAX_REQUEST_BODY_BYTES });
  });

  it("answers an 11 MB body with API Gateway's 413, announced by Content-Length or not", async () => {
    const before = invoked.length;
    const eleven = Buffer.alloc(11 * 1024 * 1024, 1);
    const withLength = await send(
      'POST',
      '/api/photos',
      {
        host: `127.0.0.1:${port}`,
        'content-type': 'application/octet-stream',
        'content-length': eleven.length,
      },
      eleven,
    );
    expect(withLength.status).toBe(413);
    expect(withLength.contentType).toBe('application/json');
    expect(JSON.parse(withLength.body)).toEqual({ message: 'Request Entity Too Large' });

    // Chunked: the gateway finds out while reading, stops keeping the body, and still answers 413.
    const chunked = await send(
      'POST',
      '/api/photos',
      {
        host: `127.0.0.1:${port}`,
        'content-type': 'application/octet-stream',
        'transfer-encoding': 'chunked',
      },
      (write) => {
        for (let i = 0; i < 11; i++) write(Buffer.alloc(1024 * 1024, 2));
      },
    );
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toEqual({ message: 'Request Entity Too Large' });
    // As the probe sent it: fetch.
    const fetched = await fetch(`${gateway.apiUrl}/photos`, { method: 'POST', body: eleven });
    expect(fetched.status).toBe(413);
    expect(await fetched.json()).toEqual({ message: 'Request Entity Too Large' });
    expect(invoked.length).toBe(before);

    // The gateway still serves afterwards.
    expect((await send('GET', '/api/photos', { host: `127.0.0.1:${port}` })).status).toBe(200);
  });
});
