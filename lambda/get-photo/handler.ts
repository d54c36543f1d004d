/**
 * GetPhoto (GET /photos/{photoId}): one of the caller's photos, with URLs and its timeline.
 *
 * Environment:
 *   TABLE_NAME    the ImageMetadata table
 *   PHOTO_BUCKET  the PhotoRepo bucket
 *   COST_MODEL    JSON CostModel (prices, workflow type, each Task's memory) for the cost receipt
 *
 * Event: API Gateway HTTP API (payload 2.0) with a JWT authorizer. Returns 200 PhotoDetail, or
 * 400 / 401 / 404 `{ message }` (see lambda/shared/api.ts).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { dynamoDocumentClient, s3Client, sfnClient } from '../shared/clients';
import { parseCostModel } from '../shared/cost';
import { requireEnv } from '../shared/env';
import { type ApiEvent, outcomeMetric } from '../shared/http';
import { logger, metrics, withPowertools } from '../shared/powertools';
import { getPhoto } from './get-photo';

const deps = {
  tableName: requireEnv('TABLE_NAME'),
  bucket: requireEnv('PHOTO_BUCKET'),
  costModel: parseCostModel(requireEnv('COST_MODEL')),
  dynamo: dynamoDocumentClient(),
  s3: s3Client(),
  sfn: sfnClient(),
  log: logger,
};

export const handler = withPowertools(async (event: ApiEvent) => {
  const response = await getPhoto(event, deps);
  metrics.addMetric(outcomeMetric('PhotosRead', response), MetricUnit.Count, 1);
  return response;
});
