/**
 * GenerateThumbnail: an upright, metadata-free thumbnail of the photo under THUMBNAIL_PREFIX.
 *
 * Environment:
 *   THUMBNAIL_PREFIX      key prefix of thumbnails ('Thumbnails/')
 *   THUMBNAIL_MAX_WIDTH   the thumbnail fits inside this box (px)
 *   THUMBNAIL_MAX_HEIGHT
 *   MAX_IMAGE_PIXELS      largest width × height decoded
 *   TABLE_NAME            the ImageMetadata table (read after writing: was the photo deleted meanwhile?)
 *
 * Event: PhotoRef { bucket, key, owner, photoId } and rendition (GenerateRendition's, or null): a photo
 * with a rendition is thumbnailed from it. Returns: ThumbnailResult, written to
 * `<THUMBNAIL_PREFIX><owner>/<photoId>.<jpg|png>`. Throws ImageTooLarge, CorruptImage, ObjectNotFound
 * (also when the photo was deleted while its thumbnail was made: the thumbnail is removed first).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { boundedResult } from '../shared/bounds';
import { s3Client } from '../shared/clients';
import { requireIntEnv, requirePrefixEnv } from '../shared/env';
import type { ThumbnailResult } from '../shared/model';
import { logger, metrics, withPowertools } from '../shared/powertools';
import { photoTableFromEnv } from '../shared/resources';
import { photoRef, renditionOf } from '../shared/validate';
import { STATES } from '../shared/workflow';
import { generateThumbnail } from './generate-thumbnail';

const settings = {
  prefix: requirePrefixEnv('THUMBNAIL_PREFIX'),
  maxWidth: requireIntEnv('THUMBNAIL_MAX_WIDTH', { min: 1 }),
  maxHeight: requireIntEnv('THUMBNAIL_MAX_HEIGHT', { min: 1 }),
  maxImagePixels: requireIntEnv('MAX_IMAGE_PIXELS', { min: 1 }),
};
const s3 = s3Client();
const records = photoTableFromEnv();

export const handler = withPowertools(async (event: unknown): Promise<ThumbnailResult> => {
  const photo = photoRef(event);
  const thumbnail = await generateThumbnail(
    s3,
    { ...photo, rendition: renditionOf(event) },
    settings,
    records,
  );
  logger.info('Thumbnail written', { key: photo.key, thumbnail });
  metrics.addMetric('ThumbnailsGenerated', MetricUnit.Count, 1);
  return boundedResult(thumbnail, STATES.generateThumbnail);
});
