/**
 * DetectLabels: Amazon Rekognition labels for a photo, or the reason there are none.
 *
 * Environment:
 *   MAX_LABELS      DetectLabels MaxLabels (whole number, 1-1000)
 *   MIN_CONFIDENCE  DetectLabels MinConfidence (0-100)
 *
 * Event: { bucket, key, metadata: ImageMetadata, rendition: Rendition | null, duplicate?:
 * DuplicateSource | null } (extra PhotoRef fields are ignored). Returns: LabelsResult. A photo with a
 * `duplicate` (a READY photo with the same bytes, found by StoreImageMetadata) gets that photo's
 * labels and `duplicateOf`, without a Rekognition call. Photos under Rekognition's 80 px minimum are
 * read from S3 and sent enlarged; photos out of its reach go as their display rendition.
 * Throws Rekognition's throttling and service errors with their SDK names, for the state machine to
 * retry (throttling also counts as the RekognitionThrottled metric); ObjectNotFound when a small photo's object is gone.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { boundedResult } from '../shared/bounds';
import { rekognitionClient, s3Client } from '../shared/clients';
import { requireIntEnv, requireNumberEnv } from '../shared/env';
import { logger, metrics, withPowertools } from '../shared/powertools';
import { imageMetadata, isObject, objectRef, renditionOf } from '../shared/validate';
import { type LabelsResult, STATES } from '../shared/workflow';
import { detectLabels, duplicateSource, isRekognitionThrottling, labelsOfDuplicate } from './detect-labels';

const settings = {
  maxLabels: requireIntEnv('MAX_LABELS', { min: 1, max: 1000 }),
  minConfidence: requireNumberEnv('MIN_CONFIDENCE', { min: 0, max: 100 }),
};
const rekognition = rekognitionClient();
const s3 = s3Client();

export const handler = withPowertools(async (event: unknown): Promise<LabelsResult> => {
  const object = objectRef(event);
  const metadata = imageMetadata(isObject(event) ? event.metadata : undefined, "The event's metadata");
  const duplicate = duplicateSource(isObject(event) ? event.duplicate : undefined);
  if (duplicate) {
    logger.info('Labels reused from a byte-identical photo', { ...object, duplicateOf: duplicate.photoId });
    metrics.addMetric('LabelsReused', MetricUnit.Count, 1);
    return boundedResult(labelsOfDuplicate(duplicate), STATES.detectLabels);
  }
  const rendition = renditionOf(event);
  let result: LabelsResult;
  try {
    result = await detectLabels(rekognition, s3, { ...object, metadata, rendition }, settings);
  } catch (error) {
    // Published on the way out too (logMetrics flushes on errors): the throttling alarm counts these.
    if (isRekognitionThrottling(error)) metrics.addMetric('RekognitionThrottled', MetricUnit.Count, 1);
    throw error;
  }
  if (result.reason) {
    logger.info('No labels', { ...object, reason: result.reason });
    metrics.addMetric('LabelsSkipped', MetricUnit.Count, 1);
  } else {
    metrics.addMetric('LabelsDetected', MetricUnit.Count, result.labels.length);
  }
  return boundedResult(result, STATES.detectLabels);
});
