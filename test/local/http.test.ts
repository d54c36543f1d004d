import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindHttpServer, RequestBodyTooLarge, readBody, urlOf } from '../../local/http';

const LIMIT = 1024;

describe('a local endpoint reading a request body', () => {
  let url: string;
  let close: () => Promise<void>;
  /** What the last request's readBody gave: the body's length, or the error and when it came. */
  let outcome: Promise<{ length?: number; error?: unknown; beforeEnd?: boolean }>;

  beforeAll(async () => {
    const server = await bindHttpServer('127.0.0.1', 0, 'The test endpoint');
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const stopEarly = request.url === '/early';
      outcome = readBody(request, LIMIT, { stopEarly }).then(
        (body) => ({ length: body.length }),
        (error: unknown) => ({ error, beforeEnd: !request.readableEnded }),
      );
      void outcome.then(({ length }) => {
        response.writeHead(length === undefined ? 413 : 200);
        response.end(String(length ?? 'too large'));
      });
    });
    url = urlOf(server);
    close = () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
  });
  afterAll(() => close());

  it('binds to the loopback address it was given and no other', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await expect(bindHttpServer('0.0.0.0', 0, 'The test endpoint')).rejects.toThrow(
      /The test endpoint listens on loopback only/,
    );
  });

  it('answers 503 until a service is attached to a bound listener', async () => {
    const server = await bindHttpServer('127.0.0.1', 0, 'The test endpoint');
    try {
      const starting = await fetch(urlOf(server));
      expect(starting.status).toBe(503);
      expect(starting.headers.get('retry-after')).toBe('1');
      server.on('request', (_request: IncomingMessage, response: ServerResponse) => response.end('served'));
      const served = await fetch(urlOf(server));
      expect([served.status, await served.text()]).toEqual([200, 'served']);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reads a body of exactly the limit', async () => {
    const response = await fetch(url, { method: 'POST', body: 'x'.repeat(LIMIT) });
    expect(response.status).toBe(200);
    expect(await outcome).toEqual({ length: LIMIT });
  });

  it('rejects a longer body once it has all arrived, with its whole size, and still answers', async () => {
    const response = await fetch(url, { method: 'POST', body: 'x'.repeat(10 * LIMIT) });
    expect(response.status).toBe(413);
    const { error, beforeEnd } = await outcome;
    expect(error).toBeInstanceOf(RequestBodyTooLarge);
    expect((error as RequestBodyTooLarge).size).toBe(10 * LIMIT);
    expect(beforeEnd).toBe(false);
  });

  it('with stopEarly, rejects as soon as the limit is passed and still answers', async () => {
    const response = await fetch(`${url}/early`, { method: 'POST', body: 'x'.repeat(1024 * LIMIT) });
    expect(response.status).toBe(413);
    const { error, beforeEnd } = await outcome;
    expect(error).toBeInstanceOf(RequestBodyTooLarge);
    expect((error as RequestBodyTooLarge).size).toBeLessThan(1024 * LIMIT);
    expect(beforeEnd).toBe(true);
  });
});
