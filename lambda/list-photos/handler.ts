/**
 * ListPhotos (GET /photos?limit=&cursor=&label=): the caller's photos, newest first, paginated.
 *
 * Environment:
 *   TABLE_NAME    the ImageMetadata table (queried through its ByUploadedAt index)
 *   PHOTO_BUCKET  the PhotoRepo bucket (thumbnail URLs)
 *
 * Event: API Gateway HTTP API (payload 2.0) with a JWT authorizer. Returns 200 ListPhotosResponse, or
 * 400 / 401 `{ message }` (see lambda/shared/api.ts).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { dynamoDocumentClient, s3Client } from '../shared/clients';
import { requireEnv } from '../shared/env';
import { type ApiEvent, outcomeMetric } from '../shared/http';
import { logger, metrics, withPowertools } from '../shared/powertools';
import { listPhotos } from './list-photos';

const deps = {
  tableName: requireEnv('TABLE_NAME'),
  bucket: requireEnv('PHOTO_BUCKET'),
  dynamo: dynamoDocumentClient(),
  s3: s3Client(),
  log: logger,
};

export const handler = withPowertools(async (event: ApiEvent) => {
  const response = await listPhotos(event, deps);
  metrics.addMetric(outcomeMetric('PhotosListed', response), MetricUnit.Count, 1);
  return response;
});
