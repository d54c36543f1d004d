/** Test doubles for the photo API cores: HTTP API (payload 2.0) events, SDK clients, photo records. */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { expect } from 'vitest';
import type { ApiEvent, ApiResponse } from '../../lambda/shared/http';
import type { PhotoRecord } from '../../lambda/shared/model';

export const REGION = 'eu-west-1';
export const BUCKET = 'photo-repo';
export const TABLE = 'ImageMetadata';
export const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:ImageProc';
const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};

/** Real clients (presigning needs their config); tests mock their `send` with aws-sdk-client-mock. */
export function clients() {
  return {
    s3: new S3Client({ region: REGION, credentials: CREDENTIALS }),
    sfn: new SFNClient({ region: REGION, credentials: CREDENTIALS }),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ region: REGION, credentials: CREDENTIALS })),
  };
}

export interface EventOptions {
  /** The JWT's sub; null for a request without claims. */
  readonly sub?: string | null;
  readonly routeKey?: string;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly pathParameters?: Record<string, string>;
  readonly query?: Record<string, string>;
}

/** An API Gateway HTTP API event (payload format 2.0) as a JWT authorizer passes it on. */
export function apiEvent(options: EventOptions = {}): ApiEvent {
  const { sub = 'user-1', routeKey = 'GET /photos' } = options;
  const [method, path] = routeKey.split(' ');
  const rawPath = path.replace('{photoId}', options.pathParameters?.photoId ?? '');
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: { 'content-type': 'application/json', authorization: 'Bearer eyJ...' },
    queryStringParameters: options.query,
    pathParameters: options.pathParameters,
    body: options.body,
    isBase64Encoded: options.isBase64Encoded ?? false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer:
        sub === null
          ? (undefined as never)
          : {
              principalId: '',
              integrationLatency: 0,
              jwt: { claims: { sub, token_use: 'access' }, scopes: [] },
            },
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'vitest' },
      requestId: 'request-1',
      routeKey,
      stage: '$default',
      time: '01/Mar/2025:10:00:00 +0000',
      timeEpoch: 1740823200000,
    },
  };
}

export function bodyOf<T = Record<string, unknown>>(response: ApiResponse): T {
  expect(response.headers?.['content-type']).toBe('application/json');
  return JSON.parse(response.body as string) as T;
}

export function photoRecord(overrides: Partial<PhotoRecord> & { photoId: string }): PhotoRecord {
  const owner = overrides.owner ?? 'user-1';
  return {
    owner,
    bucket: BUCKET,
    originalKey: `Incoming/${owner}/${overrides.photoId}.jpg`,
    status: 'READY',
    reason: null,
    uploadedAt: '2025-03-01T10:00:00.000Z',
    updatedAt: '2025-03-01T10:00:05.000Z',
    executionName: `${overrides.photoId}-0123456789abcdef`,
    executionId: `arn:aws:states:eu-west-1:123456789012:execution:ImageProc:${overrides.photoId}-0123456789abcdef`,
    metadata: {
      format: 'jpeg',
      width: 640,
      height: 480,
      orientation: 1,
      sizeBytes: 123_456,
      capturedAt: '2024-07-14T12:00:00',
      make: 'Canon',
      model: 'EOS 40D',
      gps: { latitude: 48.85, longitude: 2.35, altitude: null },
    },
    labels: [{ name: 'Cat', confidence: 97.5 }],
    tags: ['cat'],
    thumbnail: {
      key: `Thumbnails/${owner}/${overrides.photoId}.jpg`,
      width: 250,
      height: 188,
      format: 'jpeg',
      sizeBytes: 9_000,
    },
    ...overrides,
  };
}

/**
 * Serves Query on the ByUploadedAt index from a list of records, as DynamoDB does: the key condition's
 * partition, newest first when ScanIndexForward is false, ExclusiveStartKey, Limit counted before the
 * `contains(#tags, :label)` filter, and at most `itemsPerCall` evaluated per call (DynamoDB's 1 MB page).
 */
export function serveQueries(
  dynamo: AwsClientStub<DynamoDBDocumentClient>,
  records: PhotoRecord[],
  itemsPerCall = Number.POSITIVE_INFINITY,
): void {
  dynamo.on(QueryCommand).callsFake(async (input) => {
    const owner = input.ExpressionAttributeValues?.[':owner'];
    const label = input.ExpressionAttributeValues?.[':label'];
    const partition = records
      .filter((r) => r.owner === owner)
      .sort((a, b) => (a.uploadedAt < b.uploadedAt ? 1 : a.uploadedAt > b.uploadedAt ? -1 : 0));
    if (input.ScanIndexForward !== false) partition.reverse();
    const start = input.ExclusiveStartKey
      ? partition.findIndex(
          (r) =>
            r.photoId === input.ExclusiveStartKey?.photoId &&
            r.uploadedAt === input.ExclusiveStartKey?.uploadedAt,
        ) + 1
      : 0;
    const evaluated = partition.slice(start, start + Math.min(input.Limit ?? Infinity, itemsPerCall));
    const items = input.FilterExpression ? evaluated.filter((r) => r.tags.includes(label)) : evaluated;
    const last = evaluated[evaluated.length - 1];
    const more = start + evaluated.length < partition.length;
    return {
      Items: structuredClone(items),
      Count: items.length,
      ScannedCount: evaluated.length,
      LastEvaluatedKey:
        more && last ? { owner: last.owner, photoId: last.photoId, uploadedAt: last.uploadedAt } : undefined,
    };
  });
}
