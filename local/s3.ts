/**
 * S3 on loopback (s3rver), with the template's buckets and its bucket notifications bridged to local
 * functions the way S3 delivers them: filtered by event type, prefix and suffix, keys URL-encoded,
 * invoked asynchronously with Lambda's async retries.
 */
import { mkdirSync } from 'node:fs';
import S3rver from 's3rver';

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
    port: options.port,
    directory: options.directory,
    silent: true,
    // Path-style only: the SDK addresses loopback IPs path-style.
    vhostBuckets: false,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [CORS_FOR_LOCAL_WEB_APP] })),
  });
  const { port } = (await server.run()) as { port: number };

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
      await server.close();
    },
  };
}

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
