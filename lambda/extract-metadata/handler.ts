/**
 * ExtractImageMetadata: reads the head of an uploaded object and returns its ImageMetadata
 * (format, displayed dimensions, orientation, size, capture time, camera, GPS).
 *
 * Environment: none besides the Powertools ones.
 *
 * Event: { bucket, key }. Returns: ImageMetadata; format is null when the bytes are not an image
 * sharp can read (the state machine then rejects the photo); text fields are bounded. Throws
 * ObjectNotFound, ImageTooLarge (a header past the read budget), PayloadTooLarge, InvalidInput.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { boundedResult } from '../shared/bounds';
import { s3Client } from '../shared/clients';
import type { ImageMetadata } from '../shared/model';
import { logger, metrics, withPowertools } from '../shared/powertools';
import { objectRef } from '../shared/validate';
import { STATES } from '../shared/workflow';
import { extractMetadata } from './extract-metadata';

const s3 = s3Client();

export const handler = withPowertools(async (event: unknown): Promise<ImageMetadata> => {
  const object = objectRef(event);
  const metadata = await extractMetadata(s3, object, logger);
  // Dimensions and format only: EXIF and GPS stay out of the logs, like the state machine's execution data.
  logger.info('Metadata extracted', {
    ...object,
    format: metadata.format,
    width: metadata.width,
    height: metadata.height,
  });
  metrics.addMetric(metadata.format ? 'MetadataExtracted' : 'UnreadableUploads', MetricUnit.Count, 1);
  return boundedResult(metadata, STATES.extractImageMetadata);
});
