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
import { apiRoute } from '../shared/api-route';
import { withPowertools } from '../shared/powertools';
import { imageProcFromEnv, photoTableFromEnv } from '../shared/resources';
import { retryPhoto } from './retry-photo';

export const handler = withPowertools(
  apiRoute('PhotosRetried', retryPhoto, { ...photoTableFromEnv(), ...imageProcFromEnv() }),
);
