import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import type { CreateUploadRequest, CreateUploadResponse } from '../shared/api';
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
import { INCOMING_PREFIX } from '../shared/model';
import type { Log } from '../shared/powertools';

export interface CreateUploadDeps {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly maxUploadBytes: number;
  readonly log: Log;
  readonly newId?: () => string;
  readonly now?: () => Date;
}

const MAX_FILE_NAME_LENGTH = 1024;
const IMAGE_TYPE = /^image\/[a-z0-9][a-z0-9.+-]{0,126}$/;

/** Extensions for content types whose subtype is not already a good one. */
const EXTENSION_BY_SUBTYPE: Record<string, string> = {
  jpeg: 'jpg',
  png: 'png',
  gif: 'gif',
  webp: 'webp',
  tiff: 'tiff',
  heic: 'heic',
  heif: 'heif',
  avif: 'avif',
};

/**
 * POST /photos: a presigned POST that lets the caller upload one image straight to PhotoRepo, under
 * `Incoming/<caller>/<new photo id>.<ext>`. The policy pins the key, the size range and an image
 * Content-Type, and expires after five minutes, so the URL cannot be reused for anything else.
 */
export async function createUpload(event: ApiEvent, deps: CreateUploadDeps): Promise<ApiResponse> {
  return respond(deps.log, async () => {
    const owner = callerId(event);
    const request = parseCreateUpload(jsonBody(event), deps.maxUploadBytes);
    const photoId = (deps.newId ?? randomUUID)();
    const key = `${INCOMING_PREFIX}${owner}/${photoId}.${extensionFor(request.fileName, request.contentType)}`;
    const expiresAt = new Date((deps.now?.() ?? new Date()).getTime() + PRESIGN_EXPIRY_SECONDS * 1000);
    const upload = await createPresignedPost(deps.s3, {
      Bucket: deps.bucket,
      Key: key,
      Conditions: [
        { key },
        ['content-length-range', 1, deps.maxUploadBytes],
        ['starts-with', '$Content-Type', 'image/'],
      ],
      Fields: { 'Content-Type': request.contentType },
      Expires: PRESIGN_EXPIRY_SECONDS,
    });
    deps.log.info('Upload created', { owner, photoId, key, sizeBytes: request.sizeBytes });
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

/** Checks a CreateUploadRequest; the content type comes back lower-cased (MIME types are case-insensitive). */
export function parseCreateUpload(
  body: Record<string, unknown>,
  maxUploadBytes: number,
): CreateUploadRequest {
  const { fileName, contentType, sizeBytes } = body;
  if (typeof fileName !== 'string' || fileName.trim() === '') {
    throw new HttpError(400, 'fileName is required: the name of the file being uploaded, e.g. "cat.jpg".');
  }
  if (fileName.length > MAX_FILE_NAME_LENGTH) {
    throw new HttpError(400, `fileName must be at most ${MAX_FILE_NAME_LENGTH} characters long.`);
  }
  const type = typeof contentType === 'string' ? contentType.trim().toLowerCase() : undefined;
  if (type === undefined || !IMAGE_TYPE.test(type)) {
    throw new HttpError(
      400,
      `contentType must be an image type such as "image/jpeg" or "image/png", got ${JSON.stringify(contentType ?? null)}.`,
    );
  }
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
  return { fileName, contentType: type, sizeBytes };
}

/** The key's extension: the file name's own when it is short and plain, else one from the content type. */
export function extensionFor(fileName: string, contentType: string): string {
  const dot = fileName.lastIndexOf('.');
  const fromName = dot >= 0 ? fileName.slice(dot + 1).toLowerCase() : '';
  if (/^[a-z0-9]{1,5}$/.test(fromName)) return fromName;
  const subtype = contentType.toLowerCase().replace(/^image\//, '');
  return EXTENSION_BY_SUBTYPE[subtype] ?? 'bin';
}

function formatMiB(bytes: number): string {
  const mib = bytes / 1024 ** 2;
  return `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB`;
}
