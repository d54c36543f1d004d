/**
 * GenerateRendition: a browser- and Rekognition-ready display rendition of a photo whose original is
 * not one (HEIC/HEIF, AVIF, WebP, TIFF, GIF; over 15 MB or 10,000 px a side; or very large), under
 * RENDITION_PREFIX. HEVC-coded HEIC is decoded with libheif (WebAssembly); the rest with sharp.
 *
 * Environment:
 *   RENDITION_PREFIX    key prefix of renditions ('Renditions/')
 *   RENDITION_MAX_SIDE  the rendition fits a square of this side (px)
 *   MAX_IMAGE_PIXELS    largest width × height decoded
 *   TABLE_NAME          the ImageMetadata table (read after writing: was the photo deleted meanwhile?)
 *
 * Event: PhotoRef { bucket, key, owner, photoId } and metadata (ImageMetadata). Returns:
 * RenditionResult, { rendition: null } when the original serves as it is; the rendition is written to
 * `<RENDITION_PREFIX><owner>/<photoId>.<jpg|png>`. Throws ImageTooLarge, CorruptImage, ObjectNotFound
 * (also when the photo was deleted meanwhile: the rendition is removed first).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { boundedResult } from '../shared/bounds';
import { s3Client } from '../shared/clients';
import { requireIntEnv, requirePrefixEnv } from '../shared/env';
import { logger, metrics, withPowertools } from '../shared/powertools';
import { photoTableFromEnv } from '../shared/resources';
import { imageMetadata, isObject, photoRef } from '../shared/validate';
import { type RenditionResult, STATES } from '../shared/workflow';
import { generateRendition } from './generate-rendition';

const settings = {
  prefix: requirePrefixEnv('RENDITION_PREFIX'),
  maxSide: requireIntEnv('RENDITION_MAX_SIDE', { min: 1 }),
  maxImagePixels: requireIntEnv('MAX_IMAGE_PIXELS', { min: 1 }),
};
const s3 = s3Client();
const records = photoTableFromEnv();

export const handler = withPowertools(async (event: unknown): Promise<RenditionResult> => {
  const photo = photoRef(event);
  const metadata = imageMetadata(isObject(event) ? event.metadata : undefined, "The event's metadata");
  const result = await generateRendition(s3, { ...photo, metadata }, settings, records);
  if (result.rendition) {
    logger.info('Display rendition written', { key: photo.key, rendition: result.rendition });
    metrics.addMetric('RenditionsGenerated', MetricUnit.Count, 1);
  }
  return boundedResult(result, STATES.generateRendition);
});
