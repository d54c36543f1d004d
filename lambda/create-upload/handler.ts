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
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { dynamoDocumentClient, s3Client } from '../shared/clients';
import { requireEnv, requireIntEnv } from '../shared/env';
import { type ApiEvent, outcomeMetric } from '../shared/http';
import { logger, metrics, withPowertools } from '../shared/powertools';
import { createUpload } from './create-upload';

const deps = {
  bucket: requireEnv('PHOTO_BUCKET'),
  maxUploadBytes: requireIntEnv('MAX_UPLOAD_BYTES', { min: 1, max: 5 * 1024 ** 3 }),
  s3: s3Client(),
  tableName: requireEnv('TABLE_NAME'),
  dailyQuota: requireIntEnv('DAILY_UPLOAD_QUOTA', { min: 1 }),
  dynamo: dynamoDocumentClient(),
  log: logger,
};

export const handler = withPowertools(async (event: ApiEvent) => {
  const response = await createUpload(event, deps);
  metrics.addMetric(outcomeMetric('UploadsCreated', response), MetricUnit.Count, 1);
  return response;
});
