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
import { apiRoute } from '../shared/api-route';
import { withPowertools } from '../shared/powertools';
import { photoBucketFromEnv, photoTableFromEnv } from '../shared/resources';
import { deletePhoto } from './delete-photo';

export const handler = withPowertools(
  apiRoute('PhotosDeleted', deletePhoto, { ...photoTableFromEnv(), ...photoBucketFromEnv() }),
);
