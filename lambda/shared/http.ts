/**
 * The small toolkit every API handler shares: response builders, the caller's identity, JSON bodies,
 * path parameters and listing cursors. Client mistakes become HttpError (a 4xx with a sentence saying
 * what to fix); anything else is logged and answered with a plain 500 by `respond`.
 */
import { GetObjectCommand, type GetObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ApiError } from './api';
import { isTombstone, type PhotoRecord } from './model';
import type { Log } from './powertools';
import { isObject } from './validate';

export type ApiEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type ApiResponse = APIGatewayProxyStructuredResultV2 & { statusCode: number };

/** Presigned URLs and POST policies live this long (seconds). */
export const PRESIGN_EXPIRY_SECONDS = 300;

export const INTERNAL_ERROR_MESSAGE = 'Something went wrong on our side; try again.';

/**
 * A request the API refuses: the status and a message for the person (or program) that sent it, and
 * any headers the answer needs (Retry-After with a 429).
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly statusCode: 400 | 401 | 404 | 409 | 413 | 429 | 503,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export function json(statusCode: number, body: unknown): ApiResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

export function noContent(): ApiResponse {
  return { statusCode: 204 };
}

/**
 * Runs a route's work: HttpError becomes its 4xx `{ message }`; any other error is logged with the
 * details and answered with a 500 that reveals none of them.
 */
export async function respond(log: Log, work: () => Promise<ApiResponse>): Promise<ApiResponse> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof HttpError) {
      const response = json(error.statusCode, { message: error.message } satisfies ApiError);
      return { ...response, headers: { ...response.headers, ...error.headers } };
    }
    log.error('Request failed unexpectedly', { error });
    return json(500, { message: INTERNAL_ERROR_MESSAGE } satisfies ApiError);
  }
}

/**
 * Owner ids become an S3 key segment (`Incoming/<owner>/…`). Cognito subs are UUIDs; the local cloud's
 * users (X-Local-User) may be email-like names.
 */
const CALLER_ID = /^[A-Za-z0-9._@-]{1,128}$/;

/** The signed-in user: the JWT's `sub`, as API Gateway's JWT authorizer passes it. */
export function callerId(event: ApiEvent): string {
  const sub = (event?.requestContext?.authorizer?.jwt?.claims as Record<string, unknown> | undefined)?.sub;
  if (typeof sub !== 'string' || !CALLER_ID.test(sub) || sub === '.' || sub === '..') {
    throw new HttpError(401, 'Sign in first: the request carries no valid user identity.');
  }
  return sub;
}

/** The request body as a JSON object (API Gateway may hand it over base64-encoded). */
export function jsonBody(event: ApiEvent): Record<string, unknown> {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'The request body must be a JSON object; it could not be parsed as JSON.');
  }
  if (!isObject(body)) {
    throw new HttpError(400, 'The request body must be a JSON object.');
  }
  return body;
}

/** What photo ids are made of (start-execution makes them so); never `#`, which other items' keys use. */
export const PHOTO_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** The `{photoId}` path parameter, checked before it reaches a key. */
export function photoIdParam(event: ApiEvent): string {
  const photoId = event.pathParameters?.photoId;
  if (typeof photoId !== 'string' || !PHOTO_ID.test(photoId)) {
    throw new HttpError(
      400,
      "photoId must be 1 to 128 letters, digits, '.', '_' or '-'; take it from the photo listing.",
    );
  }
  return photoId;
}

/**
 * The caller's photo record. The owner is part of the key, so another user's photo is simply not
 * found: 404, never 403, and nothing tells the caller it exists.
 */
export async function findOwnPhoto(
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  owner: string,
  photoId: string,
): Promise<PhotoRecord> {
  const { Item } = await dynamo.send(new GetCommand({ TableName: tableName, Key: { owner, photoId } }));
  // A tombstone (see PhotoTombstone) is a deleted photo: not found, like any other missing photo.
  if (!Item || isTombstone(Item)) throw new HttpError(404, `No photo ${photoId}`);
  return Item as PhotoRecord;
}

/** A DynamoDB key as an opaque, URL-safe cursor. */
export function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** The key in a cursor, or undefined when it is not one encodeCursor made (no exception). */
export function decodeCursor(cursor: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(cursor)) return undefined;
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return isObject(key) ? key : undefined;
  } catch {
    return undefined;
  }
}

/** A short-lived GET URL for one object; computed locally (no request to S3). */
export function presignedGet(
  s3: S3Client,
  bucket: string,
  key: string,
  /** Headers S3 answers this URL with instead of the object's own. */
  overrides: Pick<GetObjectCommandInput, 'ResponseContentType' | 'ResponseContentDisposition'> = {},
): Promise<string> {
  return getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key, ...overrides }), {
    expiresIn: PRESIGN_EXPIRY_SECONDS,
  });
}

/** The metric a response counts towards: the route's own on success, else refused (4xx) or failed (5xx). */
export function outcomeMetric(success: string, response: ApiResponse): string {
  if (response.statusCode >= 500) return 'ApiRequestsFailed';
  return response.statusCode >= 400 ? 'ApiRequestsRefused' : success;
}
