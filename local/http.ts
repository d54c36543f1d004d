/**
 * The HTTP plumbing every local endpoint shares: a listener bound before what answers on it is
 * wired (so the local cloud knows every address before it wires one service to another), a request
 * body read with a size limit, and an answer in AWS's JSON protocols.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertLoopbackHost } from './ports';

/**
 * An HTTP server listening on `host:port` (0: a free port) that serves nothing yet: attach a
 * 'request' listener to serve. Until one is attached, every request gets 503 with Retry-After (SDK
 * clients retry it), not silence. Refuses anything but a loopback host, naming `service`.
 */
export async function bindHttpServer(host: string, port: number, service: string): Promise<Server> {
  assertLoopbackHost(host, service);
  const server = createServer((_request, response) => {
    if (server.listenerCount('request') > 1) return; // the service answers
    response.writeHead(503, { 'retry-after': '1', connection: 'close' });
    response.end(`${service} is starting`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/** `http://<address>:<port>` of a listening server (an IPv6 address in brackets). */
export function urlOf(server: Server): string {
  const { address, family, port } = server.address() as AddressInfo;
  return `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`;
}

/** A request body over its limit; `size` is the bytes seen (the whole body unless read with `stopEarly`). */
export class RequestBodyTooLarge extends Error {
  constructor(
    public readonly size: number,
    public readonly limit: number,
  ) {
    super(`The request body is over ${limit} bytes`);
    this.name = 'RequestBodyTooLarge';
  }
}

/**
 * The request's body, at most `limit` bytes; a longer one rejects with RequestBodyTooLarge. The rest
 * of a long body is read and dropped, never destroyed, so the answer can still go out on this
 * connection: by default the rejection waits for the end (its `size` is then the whole length); with
 * `stopEarly` it comes as soon as the limit is passed, the rest left flowing unheard (for an answer sent
 * while the client still uploads). A connection dropped mid-body rejects too: it emits neither 'end'
 * nor always 'error'.
 */
export function readBody(
  request: IncomingMessage,
  limit: number,
  options: { readonly stopEarly?: boolean } = {},
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      chunks.length = 0;
      if (!options.stopEarly) return;
      request.off('data', onData).off('end', onEnd).off('error', reject).off('close', onClose);
      request.on('error', () => {}).resume();
      reject(new RequestBodyTooLarge(size, limit));
    };
    const onEnd = () => {
      if (size > limit) reject(new RequestBodyTooLarge(size, limit));
      else resolve(Buffer.concat(chunks));
    };
    const onClose = () => reject(new Error('The connection closed before the request body was read'));
    request.on('data', onData).once('end', onEnd).once('error', reject).once('close', onClose);
  });
}

/**
 * An answer in AWS's JSON protocols: the body with its request id and, for an error, the type the SDK
 * throws (x-amzn-errortype). A client already answered, or gone, gets nothing.
 */
export function sendAwsJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  meta: { readonly contentType: string; readonly requestId: string; readonly errorType?: string },
): void {
  if (response.headersSent || response.destroyed) return;
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': meta.contentType,
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': meta.requestId,
    ...(meta.errorType ? { 'x-amzn-errortype': meta.errorType } : {}),
  });
  response.end(payload);
}
