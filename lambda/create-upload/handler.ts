/**
 * CreateUpload (POST /photos): a presigned POST straight to PhotoRepo for one photo of the caller.
 *
 * Environment:
 *   PHOTO_BUCKET        the PhotoRepo bucket
 *   MAX_UPLOAD_BYTES    the largest upload the policy accepts
 *   TABLE_NAME          the ImageMetadata table (each user's upload counter for the day)
 *   DAILY_UPLOAD_QUOTA  presigned POSTs one user may get per UTC day
 *
 * Event: API Gateway HTTP API (payload 2.0) with a JWT authorizer; body CreateUploadRequest. Returns 201
 * CreateUploadResponse, or 400 / 401 / 413 / 429 `{ message }` (see lambda/shared/api.ts).
 */
import { apiRoute } from '../shared/api-route';
import { requireIntEnv } from '../shared/env';
import { withPowertools } from '../shared/powertools';
import { photoBucketFromEnv, photoTableFromEnv } from '../shared/resources';
import { createUpload } from './create-upload';

export const handler = withPowertools(
  apiRoute('UploadsCreated', createUpload, {
    ...photoBucketFromEnv(),
    maxUploadBytes: requireIntEnv('MAX_UPLOAD_BYTES', { min: 1, max: 5 * 1024 ** 3 }),
    ...photoTableFromEnv(),
    dailyQuota: requireIntEnv('DAILY_UPLOAD_QUOTA', { min: 1 }),
  }),
);
