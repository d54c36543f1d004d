/**
 * DeletePhoto (DELETE /photos/{photoId}): removes one of the caller's photos, its thumbnail and record.
 *
 * Environment:
 *   TABLE_NAME    the ImageMetadata table
 *   PHOTO_BUCKET  the PhotoRepo bucket
 *
 * Event: API Gateway HTTP API (payload 2.0) with a JWT authorizer. Returns 204, or 400 / 401 / 404
 * `{ message }` (see lambda/shared/api.ts).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { dynamoDocumentClient, s3Client } from '../shared/clients';
import { requireEnv } from '../shared/env';
import { type ApiEvent, outcomeMetric } from '../shared/http';
import { logger, metrics, withPowertools } from '../shared/powertools';
import { deletePhoto } from './delete-photo';

const deps = {
  tableName: requireEnv('TABLE_NAME'),
  bucket: requireEnv('PHOTO_BUCKET'),
  dynamo: dynamoDocumentClient(),
  s3: s3Client(),
  log: logger,
};

export const handler = withPowertools(async (event: ApiEvent) => {
  const response = await deletePhoto(event, deps);
  metrics.addMetric(outcomeMetric('PhotosDeleted', response), MetricUnit.Count, 1);
  return response;
});
