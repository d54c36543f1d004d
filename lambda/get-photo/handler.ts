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
import { apiRoute } from '../shared/api-route';
import { sfnClient } from '../shared/clients';
import { parseCostModel } from '../shared/cost';
import { requireEnv } from '../shared/env';
import { withPowertools } from '../shared/powertools';
import { photoBucketFromEnv, photoTableFromEnv } from '../shared/resources';
import { getPhoto } from './get-photo';

export const handler = withPowertools(
  apiRoute('PhotosRead', getPhoto, {
    ...photoTableFromEnv(),
    ...photoBucketFromEnv(),
    costModel: parseCostModel(requireEnv('COST_MODEL')),
    sfn: sfnClient(),
  }),
);
