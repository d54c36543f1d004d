/**
 * S3 on loopback (s3rver), with the template's buckets and its bucket notifications bridged to local
 * functions the way S3 delivers them: filtered by event type, prefix and suffix, keys URL-encoded,
 * invoked asynchronously with Lambda's async retries.
 *
 * s3rver itself takes anonymous requests, answers CORS for any origin and stores keys as file paths.
 * So it listens on a Unix socket in a private folder (no TCP port any web page could reach), and a
 * front on the S3 port (loopback only) lets through only what S3 would: requests signed with the
 * local credentials (s3-auth.ts), browser POST uploads whose policy holds (s3-post-policy.ts), keys
 * that stay in the bucket's folder, and CORS for the web app's origin only.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import busboy from 'busboy';
import S3rver from 's3rver';
import { bindHttpServer, RequestBodyTooLarge, readBody, urlOf } from './http';
import type { InvokePermission } from './lambda/permissions';
import { LOOPBACK_HOST, localCredentials } from './ports';
import {
  assertSafeCopySource,
  assertSafeKey,
  assertSafeTarget,
  checkSignature,
  deleteObjectsKeys,
  S3RequestError,
} from './s3-auth';
import { checkPostPolicy, PostPolicyError, s3ErrorXml } from './s3-post-policy';
import { type CfnTemplate, LOCAL_REGION, type LocalNames, resourcesOfType } from './template';

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
  /** A loopback address: the local S3 refuses to listen anywhere else. @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** A listener already bound (see bindHttpServer), used instead of host and port. */
  server?: Server;
  directory: string;
  buckets: string[];
  notifications: NotificationRule[];
  invokeAsync: AsyncInvoker;
  /** The origins that get CORS grants (the web app's). @default none */
  allowedOrigins?: readonly string[];
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

/** The template's buckets, by their local names. */
export function bucketsFrom(template: CfnTemplate, names: LocalNames): string[] {
  return resourcesOfType(template, 'AWS::S3::Bucket').map(([logicalId]) => names.bucketName(logicalId));
}

/**
 * The template's bucket notifications (CDK's Custom::S3BucketNotifications), each to a Lambda function
 * that a permission lets S3 invoke; a notification S3 would refuse stops the start.
 */
export function notificationsFrom(
  template: CfnTemplate,
  names: LocalNames,
  mayInvoke: InvokePermission,
): NotificationRule[] {
  return resourcesOfType(template, 'Custom::S3BucketNotifications').flatMap(([logicalId, resource]) => {
    const props = names.resolve<{
      BucketName: string;
      NotificationConfiguration: Record<string, unknown[]>;
    }>(resource.Properties);
    const unsupported = Object.keys(props.NotificationConfiguration).filter(
      (kind) => kind !== 'LambdaFunctionConfigurations',
    );
    if (unsupported.length > 0) {
      throw new Error(
        `${logicalId}: the local cloud delivers S3 notifications to Lambda only, not ${unsupported.join(', ')}`,
      );
    }
    const configurations = props.NotificationConfiguration.LambdaFunctionConfigurations as {
      Id?: string;
      Events: string[];
      Filter?: { Key?: { FilterRules?: { Name: string; Value: string }[] } };
      LambdaFunctionArn: string;
    }[];
    return configurations.map((configuration, index) => {
      // S3 can only invoke a function whose resource policy lets s3.amazonaws.com do so.
      if (!mayInvoke('s3.amazonaws.com', configuration.LambdaFunctionArn)) {
        throw new Error(
          `${logicalId}: no AWS::Lambda::Permission lets S3 invoke ${configuration.LambdaFunctionArn}; S3 would refuse this notification`,
        );
      }
      const rule = (name: string) =>
        configuration.Filter?.Key?.FilterRules?.find((r) => r.Name.toLowerCase() === name)?.Value ?? '';
      return {
        id: configuration.Id ?? `${logicalId}-${index}`,
        bucket: props.BucketName,
        events: configuration.Events,
        prefix: rule('prefix'),
        suffix: rule('suffix'),
        functionArn: configuration.LambdaFunctionArn,
      };
    });
  });
}

/** An SDK client of the local S3 at `url` (path-style, its credentials, no flexible checksums). */
export function localS3Client(url: string): S3Client {
  return new S3Client({
    endpoint: url,
    region: LOCAL_REGION,
    credentials: localCredentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Reads objects of the local S3 at `url` (for the local Rekognition's Image.S3Object). */
export function s3ObjectReader(url: string) {
  return async (bucket: string, key: string, version?: string): Promise<Uint8Array> => {
    const client = localS3Client(url);
    try {
      const response = await client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: version }),
      );
      return await response.Body!.transformToByteArray();
    } finally {
      client.destroy();
    }
  };
}

export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const front =
    options.server ??
    (await bindHttpServer(options.host ?? LOOPBACK_HOST, options.port ?? 0, 'The local S3'));
  mkdirSync(options.directory, { recursive: true });
  // Only this user can enter the folder (mkdtemp makes it 0700), so only the front reaches s3rver.
  const socketDir = mkdtempSync(join(tmpdir(), 'local-s3-'));
  const socketPath = join(socketDir, 's3rver.sock');
  const server = new S3rver({
    port: socketPath,
    directory: options.directory,
    silent: true,
    // Path-style only: the SDK addresses loopback IPs path-style.
    vhostBuckets: false,
    // No CORS configuration: the front answers CORS, for the web app's origin only.
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  try {
    await server.run();
  } catch (error) {
    await server.close().catch(() => {});
    front.close();
    rmSync(socketDir, { recursive: true, force: true });
    throw error;
  }
  serveFront(front, socketPath, options.allowedOrigins ?? []);
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
    url: urlOf(front),
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
      // Whatever connection s3rver still holds (a request cut off midway) must not keep close() waiting.
      (server as unknown as { httpServer?: Server }).httpServer?.closeAllConnections();
      await server.close();
      rmSync(socketDir, { recursive: true, force: true });
    },
  };
}

/** Methods the web app's origin may use from a browser (preflights answered for these). */
const CORS_METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'];

/**
 * The S3 port: answers CORS preflights for the web app's origin, refuses keys that could leave the
 * bucket's folder, checks browser POST uploads' policies (see s3-post-policy.ts) and every other
 * request's signature (see s3-auth.ts), and forwards what passes to s3rver unchanged (same method,
 * path, query and headers, Host included).
 */
function serveFront(front: Server, socketPath: string, allowedOrigins: readonly string[]): void {
  front.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const origin = request.headers.origin;
    const granted = origin !== undefined && allowedOrigins.includes(origin);
    // Only the web app's origin may read answers; every other page gets no grant at all.
    const cors: Record<string, string> = {
      ...(origin !== undefined ? { vary: 'Origin' } : {}),
      ...(granted ? { 'access-control-allow-origin': origin, 'access-control-expose-headers': 'ETag' } : {}),
    };
    const refuse = (error: S3RequestError) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      response.writeHead(error.status, { 'content-type': 'application/xml', ...cors });
      response.end(request.method === 'HEAD' ? undefined : s3ErrorXml(error));
    };
    const forward = (body?: Buffer) => {
      const upstream = httpRequest(
        { socketPath, method: request.method, path: request.url, headers: request.headers },
        (answer) => {
          // s3rver answers a range on an empty object with 206 "bytes 0-0/0" and a Content-Length of 1
          // it never sends (the client would wait forever); S3 answers 416 InvalidRange.
          if (answer.statusCode === 206 && /\/0$/.test(String(answer.headers['content-range'] ?? ''))) {
            answer.destroy();
            refuse(new S3RequestError('InvalidRange', 416, 'The requested range is not satisfiable'));
            return;
          }
          const headers = Object.fromEntries(
            Object.entries(answer.headers).filter(
              ([name]) => !name.startsWith('access-control-') && name !== 'vary',
            ),
          );
          response.writeHead(answer.statusCode ?? 502, { ...headers, ...cors });
          answer.pipe(response);
        },
      );
      upstream.on('error', (error) => {
        if (response.headersSent) {
          response.destroy();
          return;
        }
        response.writeHead(502, cors);
        response.end(String(error));
      });
      if (body) upstream.end(body);
      else request.pipe(upstream);
      // A client gone before its body was all sent (a crashed function mid-PutObject): s3rver would
      // wait for the rest for ever, and its close() with it. Abort the forwarded request too.
      request.on('close', () => {
        if (!request.complete) upstream.destroy();
      });
    };

    // A web page knows the local credentials as well as anyone (s3rver fixes them), so it could sign
    // requests itself: refuse what a browser sends on another page's behalf. A page on another origin
    // (a form POST, a presigned URL it made) sends its Origin; a page reached through DNS rebinding
    // sends its own name as Host. The SDK and <img> send neither.
    const hostAllowed = loopbackHosts(front).includes(request.headers.host ?? '');
    if (!hostAllowed || (origin !== undefined && !granted)) {
      refuse(
        new S3RequestError(
          'AccessDenied',
          403,
          hostAllowed
            ? `The local S3 serves the local web app's origin only, not ${origin}`
            : `The local S3 answers requests to 127.0.0.1, localhost or [::1] on its port only, not to Host ${request.headers.host ?? '(none)'}`,
        ),
      );
      return;
    }

    if (request.method === 'OPTIONS') {
      const method = request.headers['access-control-request-method'];
      if (!granted || !method || !CORS_METHODS.includes(method)) {
        refuse(
          new S3RequestError(
            'CORSResponse',
            403,
            'This CORS request is not allowed. The local S3 answers CORS for the local web app only.',
          ),
        );
        return;
      }
      response.writeHead(200, {
        ...cors,
        'access-control-allow-methods': CORS_METHODS.join(', '),
        ...(request.headers['access-control-request-headers']
          ? { 'access-control-allow-headers': request.headers['access-control-request-headers'] }
          : {}),
        'access-control-max-age': '600',
        vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
      });
      response.end();
      return;
    }

    const bucket = /^\/([^/?]+)\/?(\?|$)/.exec(request.url ?? '')?.[1];
    const isFormUpload =
      request.method === 'POST' &&
      bucket !== undefined &&
      /^multipart\/form-data/i.test(request.headers['content-type'] ?? '');
    const handle = async () => {
      assertSafeTarget(request.url ?? '');
      if (isFormUpload) {
        // A browser upload: no signed request, but a signed policy (which may let the key vary).
        const { body, fields, fileSize, fileName } = await readFormUpload(request).catch((error: Error) => {
          throw new PostPolicyError(
            'MalformedPOSTRequest',
            400,
            `The body of your POST request is not well-formed multipart/form-data: ${error.message}`,
          );
        });
        checkPostPolicy(
          { bucket: decodeURIComponent(bucket), fields, fileSize },
          localCredentials.secretAccessKey,
        );
        const key = Object.entries(fields).find(([name]) => name.toLowerCase() === 'key')?.[1] ?? '';
        assertSafeKey(key);
        // biome-ignore lint/suspicious/noTemplateCurlyInString: S3's own form variable, not a template.
        assertSafeKey(key.replaceAll('${filename}', fileName));
        forward(body);
        return;
      }
      await checkSignature(
        { method: request.method ?? 'GET', url: request.url ?? '', headers: request.headers },
        localCredentials,
      );
      const copySource = request.headers['x-amz-copy-source'];
      if (typeof copySource === 'string') assertSafeCopySource(copySource);
      if (request.method === 'POST' && /[?&]delete(=|&|$)/.test(request.url ?? '')) {
        // DeleteObjects names its keys in the body.
        const body = await readBody(request, MAX_DELETE_BYTES, { stopEarly: true }).catch(
          (error: unknown) => {
            throw error instanceof RequestBodyTooLarge
              ? new S3RequestError('MalformedXML', 400, 'The request body is too large')
              : error;
          },
        );
        for (const key of deleteObjectsKeys(body.toString('utf8'))) assertSafeKey(key);
        forward(body);
        return;
      }
      forward();
    };
    handle().catch((error: unknown) => {
      if (error instanceof S3RequestError) refuse(error);
      else refuse(new S3RequestError('InternalError', 500, (error as Error).message));
    });
  });
}

/** The Host values a loopback client sends to the front. */
function loopbackHosts(front: Server): string[] {
  const { port } = front.address() as AddressInfo;
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
}

/** DeleteObjects takes up to 1000 keys of up to 1 KB each. */
const MAX_DELETE_BYTES = 2 * 1024 * 1024;

/** Buffers a multipart upload and reads its fields and the file's size. */
async function readFormUpload(
  request: IncomingMessage,
): Promise<{ body: Buffer; fields: Record<string, string>; fileSize: number; fileName: string }> {
  const body = await readBody(request, MAX_FORM_BYTES, { stopEarly: true }).catch((error: unknown) => {
    throw error instanceof RequestBodyTooLarge
      ? new Error(`the local S3 takes POST uploads up to ${MAX_FORM_BYTES / 1024 / 1024} MB`)
      : error;
  });
  const fields: Record<string, string> = {};
  let fileSize = 0;
  let fileName = '';
  await new Promise<void>((resolve, reject) => {
    const parser = busboy({ headers: request.headers, limits: { fieldSize: 1024 * 1024 } });
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (_name, stream, info) => {
      fileName = info.filename ?? '';
      stream.on('data', (data: Buffer) => {
        fileSize += data.length;
      });
    });
    parser.on('close', resolve);
    parser.on('error', reject);
    parser.end(body);
  });
  return { body, fields, fileSize, fileName };
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
