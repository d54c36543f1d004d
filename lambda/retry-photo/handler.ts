/**
 * RetryPhoto (POST /photos/{photoId}/retry): processes one of the caller's FAILED photos again, by
 * redriving its execution where Step Functions can, else with a new execution.
 *
 * Environment:
 *   TABLE_NAME         the ImageMetadata table
 *   STATE_MACHINE_ARN  the ImageProc state machine
 *
 * Event: API Gateway HTTP API (payload 2.0) with a JWT authorizer. Returns 202 RetryPhotoResponse, or
 * 400 / 401 / 404 / 409 / 503 `{ message }` (see lambda/shared/api.ts).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { dynamoDocumentClient, sfnClient } from '../shared/clients';
import { requireEnv } from '../shared/env';
import { type ApiEvent, outcomeMetric } from '../shared/http';
import { logger, metrics, withPowertools } from '../shared/powertools';
import { retryPhoto } from './retry-photo';

const deps = {
  tableName: requireEnv('TABLE_NAME'),
  stateMachineArn: requireEnv('STATE_MACHINE_ARN'),
  dynamo: dynamoDocumentClient(),
  sfn: sfnClient(),
  log: logger,
};

export const handler = withPowertools(async (event: ApiEvent) => {
  const response = await retryPhoto(event, deps);
  metrics.addMetric(outcomeMetric('PhotosRetried', response), MetricUnit.Count, 1);
  return response;
});
