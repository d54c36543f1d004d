import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import {
  type CreateUploadRequest,
  type CreateUploadResponse,
  fileExtension,
  UPLOAD_CONTENT_TYPES,
  type UploadContentType,
  uploadContentType,
} from '../shared/api';
import { isConditionFailed } from '../shared/errors';
import {
  type ApiEvent,
  type ApiResponse,
  callerId,
  HttpError,
  json,
  jsonBody,
  PRESIGN_EXPIRY_SECONDS,
  respond,
} from '../shared/http';
import { INCOMING_PREFIX, TABLE_KEYS, UPLOAD_QUOTA_ID_PREFIX } from '../shared/model';
import type { Log } from '../shared/powertools';

export interface CreateUploadDeps {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly maxUploadBytes: number;
  /** ImageMetadata: holds each user's upload counter for the day. */
  readonly dynamo: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Presigned POSTs one user may get per UTC day. */
  readonly dailyQuota: number;
  readonly log: Log;
  readonly newId?: () => string;
  readonly now?: () => Date;
}

/** A checked request: the content type is the accepted one it names, with the key's extension. */
export interface UploadRequest extends CreateUploadRequest {
  readonly contentType: UploadContentType;
  readonly extension: string;
}

const MAX_FILE_NAME_LENGTH = 1024;
const DAY_MS = 24 * 60 * 60 * 1000;
const ACCEPTED_TYPES = Object.keys(UPLOAD_CONTENT_TYPES).join(', ');

/**
 * POST /photos: a presigned POST that lets the caller upload one image straight to PhotoRepo, under
 * `Incoming/<caller>/<new photo id>.<ext>`. The policy pins the key, the size range and the exact
 * Content-Type (a raster type from UPLOAD_CONTENT_TYPES), and expires after five minutes, so the URL
 * cannot be reused for anything else. Each one counts towards the caller's daily quota.
 */
export async function createUpload(event: ApiEvent, deps: CreateUploadDeps): Promise<ApiResponse> {
  return respond(deps.log, async () => {
    const owner = callerId(event);
    const request = parseCreateUpload(jsonBody(event), deps.maxUploadBytes);
    const now = deps.now?.() ?? new Date();
    const used = await countUpload(owner, now, deps);
    const photoId = (deps.newId ?? randomUUID)();
    const key = `${INCOMING_PREFIX}${owner}/${photoId}.${request.extension}`;
    const expiresAt = new Date(now.getTime() + PRESIGN_EXPIRY_SECONDS * 1000);
    const upload = await createPresignedPost(deps.s3, {
      Bucket: deps.bucket,
      Key: key,
      Conditions: [
        { key },
        ['content-length-range', 1, deps.maxUploadBytes],
        // Exactly this type: a starts-with would let the form swap in image/svg+xml.
        ['eq', '$Content-Type', request.contentType],
      ],
      Fields: { 'Content-Type': request.contentType },
      Expires: PRESIGN_EXPIRY_SECONDS,
    });
    deps.log.info('Upload created', {
      owner,
      photoId,
      key,
      contentType: request.contentType,
      sizeBytes: request.sizeBytes,
      uploadsToday: used,
    });
    const response: CreateUploadResponse = {
      photoId,
      key,
      upload: { url: upload.url, fields: upload.fields },
      expiresAt: expiresAt.toISOString(),
      maxBytes: deps.maxUploadBytes,
    };
    return json(201, response);
  });
}

/** Checks a CreateUploadRequest; the content type comes back as the accepted type it names. */
export function parseCreateUpload(body: Record<string, unknown>, maxUploadBytes: number): UploadRequest {
  const { fileName, contentType, sizeBytes } = body;
  if (typeof fileName !== 'string' || fileName.trim() === '') {
    throw new HttpError(400, 'fileName is required: the name of the file being uploaded, e.g. "cat.jpg".');
  }
  if (fileName.length > MAX_FILE_NAME_LENGTH) {
    throw new HttpError(400, `fileName must be at most ${MAX_FILE_NAME_LENGTH} characters long.`);
  }
  const { type, extension } = uploadType(fileName, contentType);
  if (typeof sizeBytes !== 'number' || !Number.isSafeInteger(sizeBytes) || sizeBytes < 1) {
    throw new HttpError(
      400,
      `sizeBytes must be the file's size as a positive whole number of bytes, got ${JSON.stringify(sizeBytes ?? null)}.`,
    );
  }
  if (sizeBytes > maxUploadBytes) {
    throw new HttpError(
      413,
      `The file is ${sizeBytes} bytes; photos can be at most ${maxUploadBytes} bytes (${formatMiB(maxUploadBytes)}).`,
    );
  }
  return { fileName, contentType: type, sizeBytes, extension };
}

/**
 * The type to pin and the key's extension: the declared type must be an accepted raster type, and the
 * file name's extension, when it has one, must be one of that type's. A name without an extension
 * gets the type's usual one.
 */
export function uploadType(
  fileName: string,
  contentType: unknown,
): { type: UploadContentType; extension: string } {
  const type = typeof contentType === 'string' ? uploadContentType(contentType) : undefined;
  if (type === undefined) {
    throw new HttpError(
      400,
      `contentType must be one of the image types photos are accepted in (${ACCEPTED_TYPES}), got ${JSON.stringify(contentType ?? null)}; SVG, PDF, text and video files cannot be uploaded.`,
    );
  }
  const extensions: readonly string[] = UPLOAD_CONTENT_TYPES[type];
  const extension = fileExtension(fileName);
  if (extension === '') return { type, extension: extensions[0] };
  if (!extensions.includes(extension)) {
    throw new HttpError(
      400,
      `fileName ends in .${extension.slice(0, 16)}, which is not a ${type} file's extension (${extensions.map((e) => `.${e}`).join(', ')}); declare the file's real type, one of ${ACCEPTED_TYPES}.`,
    );
  }
  return { type, extension };
}

/**
 * Counts one upload against the owner's quota for the UTC day of `now`, atomically: the counter goes
 * up only while it is under the quota, so concurrent requests can never overshoot it. Over the quota
 * is a 429 saying the limit and when it resets. The counter expires (DynamoDB TTL) a day after that.
 */
export async function countUpload(
  owner: string,
  now: Date,
  deps: Pick<CreateUploadDeps, 'dynamo' | 'tableName' | 'dailyQuota'>,
): Promise<number> {
  const day = now.toISOString().slice(0, 10);
  const resetsAt = new Date(Date.parse(`${day}T00:00:00.000Z`) + DAY_MS);
  try {
    const { Attributes } = await deps.dynamo.send(
      new UpdateCommand({
        TableName: deps.tableName,
        Key: { [TABLE_KEYS.partitionKey]: owner, [TABLE_KEYS.sortKey]: `${UPLOAD_QUOTA_ID_PREFIX}${day}` },
        UpdateExpression: 'ADD #count :one SET #expiresAt = :expiresAt',
        ConditionExpression: 'attribute_not_exists(#count) OR #count < :quota',
        ExpressionAttributeNames: { '#count': 'count', '#expiresAt': TABLE_KEYS.timeToLiveAttribute },
        ExpressionAttributeValues: {
          ':one': 1,
          ':quota': deps.dailyQuota,
          ':expiresAt': Math.floor((resetsAt.getTime() + DAY_MS) / 1000),
        },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(Attributes?.count ?? 1);
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
    const retryAfter = Math.max(1, Math.ceil((resetsAt.getTime() - now.getTime()) / 1000));
    throw new HttpError(
      429,
      `You have used all ${deps.dailyQuota} uploads a user may start in a day (UTC); the quota resets at ${resetsAt.toISOString()}.`,
      { 'retry-after': String(retryAfter) },
    );
  }
}

function formatMiB(bytes: number): string {
  const mib = bytes / 1024 ** 2;
  return `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB`;
}
