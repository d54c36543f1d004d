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
import { apiRoute } from '../shared/api-route';
import { withPowertools } from '../shared/powertools';
import { photoBucketFromEnv, photoTableFromEnv } from '../shared/resources';
import { listPhotos } from './list-photos';

export const handler = withPowertools(
  apiRoute('PhotosListed', listPhotos, { ...photoTableFromEnv(), ...photoBucketFromEnv() }),
);
