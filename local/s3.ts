/**
 * S3 on loopback (s3rver), with the template's buckets and its bucket notifications bridged to local
 * functions the way S3 delivers them: filtered by event type, prefix and suffix, keys URL-encoded,
 * invoked asynchronously with Lambda's async retries.
 */
import { mkdirSync } from 'node:fs';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import busboy from 'busboy';
import S3rver from 's3rver';
import { localCredentials } from './ports';
import { checkPostPolicy, PostPolicyError, s3ErrorXml } from './s3-post-policy';

export interface NotificationRule {
  bucket: string;
  /** e.g. 's3:ObjectCreated:*' */
  events: string[];
  prefix: string;
  suffix: string;
  functionArn: string;
  id: string;
}

/** Lambda's asynchronous Invoke: resolves once the event is handled or has exhausted its retries. */
export type AsyncInvoker = (functionArn: string, event: unknown) => Promise<void>;

export interface LocalS3Options {
  host: string;
  port: number;
  directory: string;
  buckets: string[];
  notifications: NotificationRule[];
  invokeAsync: AsyncInvoker;
}

interface S3rverRecord {
  eventName: string;
  eventTime: string;
  s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string; sequencer: string } };
}

export interface LocalS3 {
  url: string;
  /** Resolves when every event delivered so far has been handled (including retries). */
  drain(): Promise<void>;
  /** Events still being delivered. */
  pending(): number;
  /** Notifications delivered so far (the latest 1000), for replaying one as S3's duplicate delivery would. */
  readonly delivered: readonly { functionArn: string; event: unknown }[];
  /** Delivers an event again, as S3 does now and then (its delivery is at least once). */
  redeliver(delivery: { functionArn: string; event: unknown }): Promise<void>;
  close(): Promise<void>;
}

export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  mkdirSync(options.directory, { recursive: true });
  const server = new S3rver({
    address: options.host,
    // s3rver listens on a private port; the front server below takes the S3 port and checks POST policies.
    port: 0,
    directory: options.directory,
    silent: true,
    // Path-style only: the SDK addresses loopback IPs path-style.
    vhostBuckets: false,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [CORS_FOR_LOCAL_WEB_APP] })),
  });
  const { port: s3rverPort } = (await server.run()) as { port: number };
  const front = await startPolicyFront(options.host, options.port, s3rverPort);
  const port = (front.address() as AddressInfo).port;

  const inFlight = new Set<Promise<void>>();
  const delivered: { functionArn: string; event: unknown }[] = [];
  const deliver = (functionArn: string, event: unknown) => {
    delivered.push({ functionArn, event });
    if (delivered.length > 1000) delivered.shift();
    const delivery = options.invokeAsync(functionArn, event).finally(() => inFlight.delete(delivery));
    inFlight.add(delivery);
    return delivery;
  };
  let sequence = 0;
  let closed = false;

  server.on('event', (event: { Records: S3rverRecord[] }) => {
    for (const record of event.Records) {
      for (const rule of matchingRules(options.notifications, record)) {
        // s3rver's sequencer is Date.now() in hex, the same for two uploads in one millisecond; S3's
        // grows per key. The start-execution handler names executions after it.
        const sequencer = `${Date.now().toString(16).toUpperCase()}${(sequence++).toString(16).padStart(8, '0').toUpperCase()}`;
        if (closed) return;
        void deliver(rule.functionArn, s3Event(record, rule, sequencer));
      }
    }
  });

  return {
    url: `http://${options.host}:${port}`,
    async drain() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    pending: () => inFlight.size,
    delivered,
    redeliver: ({ functionArn, event }) => deliver(functionArn, event),
    async close() {
      closed = true;
      await new Promise<void>((resolve) => {
        front.close(() => resolve());
        front.closeAllConnections();
      });
      await server.close();
    },
  };
}

/**
 * A proxy in front of s3rver that refuses browser POST uploads S3 would refuse (see s3-post-policy.ts)
 * and passes everything else through unchanged.
 */
async function startPolicyFront(host: string, port: number, s3rverPort: number): Promise<Server> {
  const forward = (request: IncomingMessage, response: ServerResponse, body?: Buffer) => {
    const upstream = httpRequest(
      { host, port: s3rverPort, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', (error) => {
      response.writeHead(502);
      response.end(String(error));
    });
    if (body) upstream.end(body);
    else request.pipe(upstream);
  };

  const front = createServer((request, response) => {
    const bucket = /^\/([^/?]+)\/?(\?|$)/.exec(request.url ?? '')?.[1];
    const isFormUpload =
      request.method === 'POST' &&
      bucket &&
      /^multipart\/form-data/i.test(request.headers['content-type'] ?? '');
    if (!isFormUpload) {
      forward(request, response);
      return;
    }
    readFormUpload(request)
      .then(({ body, fields, fileSize }) => {
        try {
          checkPostPolicy(
            { bucket: decodeURIComponent(bucket), fields, fileSize },
            localCredentials.secretAccessKey,
          );
        } catch (error) {
          if (!(error instanceof PostPolicyError)) throw error;
          // S3 answers CORS on errors too, so the browser can read why.
          const origin = request.headers.origin;
          response.writeHead(error.status, {
            'content-type': 'application/xml',
            ...(origin
              ? { 'access-control-allow-origin': origin, 'access-control-expose-headers': 'ETag' }
              : {}),
          });
          response.end(s3ErrorXml(error));
          return;
        }
        forward(request, response, body);
      })
      .catch((error: Error) => {
        response.writeHead(400, { 'content-type': 'application/xml' });
        response.end(
          s3ErrorXml(
            new PostPolicyError(
              'MalformedPOSTRequest',
              400,
              `The body of your POST request is not well-formed multipart/form-data: ${error.message}`,
            ),
          ),
        );
      });
  });
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(port, host, () => resolve());
  });
  return front;
}

/** Buffers a multipart upload and reads its fields and the file's size. */
async function readFormUpload(
  request: IncomingMessage,
): Promise<{ body: Buffer; fields: Record<string, string>; fileSize: number }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES)
      throw new Error(`the local S3 takes POST uploads up to ${MAX_FORM_BYTES / 1024 / 1024} MB`);
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks);
  const fields: Record<string, string> = {};
  let fileSize = 0;
  await new Promise<void>((resolve, reject) => {
    const parser = busboy({ headers: request.headers, limits: { fieldSize: 1024 * 1024 } });
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (_name, stream) => {
      stream.on('data', (data: Buffer) => {
        fileSize += data.length;
      });
    });
    parser.on('close', resolve);
    parser.on('error', reject);
    parser.end(body);
  });
  return { body, fields, fileSize };
}

/** Larger than any upload the app's policies allow, small enough to buffer. */
const MAX_FORM_BYTES = 256 * 1024 * 1024;

function matchingRules(rules: NotificationRule[], record: S3rverRecord): NotificationRule[] {
  const eventName = `s3:${record.eventName}`;
  const key = record.s3.object.key;
  return rules.filter(
    (rule) =>
      rule.bucket === record.s3.bucket.name &&
      rule.events.some((pattern) =>
        pattern.endsWith('*') ? eventName.startsWith(pattern.slice(0, -1)) : eventName === pattern,
      ) &&
      key.startsWith(rule.prefix) &&
      key.endsWith(rule.suffix),
  );
}

/** The event S3 sends to Lambda for one record. */
function s3Event(record: S3rverRecord, rule: NotificationRule, sequencer: string) {
  const { bucket, object } = record.s3;
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: record.eventTime,
        eventName: record.eventName,
        userIdentity: { principalId: 'AWS:LOCAL' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: {},
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: rule.id,
          bucket: {
            name: bucket.name,
            ownerIdentity: { principalId: 'LOCAL' },
            arn: `arn:aws:s3:::${bucket.name}`,
          },
          object: { key: encodeS3EventKey(object.key), size: object.size, eTag: object.eTag, sequencer },
        },
      },
    ],
  };
}

/**
 * Encodes a key as S3 does in event notifications: form-URL-encoding, so a space becomes `+`, and
 * `+`, `%` and non-ASCII characters are percent-escaped; `/` stays as it is.
 */
export function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

/** The local web app uploads straight to the bucket with presigned POSTs, from another origin. */
const CORS_FOR_LOCAL_WEB_APP = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>POST</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
  </CORSRule>
</CORSConfiguration>`;
