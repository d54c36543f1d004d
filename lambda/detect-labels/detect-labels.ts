import { DetectLabelsCommand, type RekognitionClient } from '@aws-sdk/client-rekognition';
import { errorName, errorReason } from '../shared/errors';
import type { ImageMetadata, LabelsResult } from '../shared/model';

export interface LabelSettings {
  readonly maxLabels: number;
  readonly minConfidence: number;
}

/** Rekognition's documented limits for images read from S3. */
export const REKOGNITION_LIMITS = {
  formats: ['jpeg', 'png'],
  minSidePx: 80,
  maxSidePx: 10_000,
  maxBytes: 15 * 1024 * 1024,
} as const;

/**
 * Rekognition errors about this particular image: asking again gives the same answer, so they
 * become the reason the photo has no labels. Everything else (throttling, service errors) is thrown
 * with its SDK name, which the state machine's Retry matches.
 */
const IMAGE_ERRORS = new Set([
  'InvalidImageFormatException',
  'ImageTooLargeException',
  'InvalidS3ObjectException',
  // What Rekognition answers for an image under 80 px when the pre-check could not tell (no dimensions).
  'InvalidParameterException',
]);

/** Why Rekognition would refuse this image, or null when it is within every limit (unknown dimensions pass). */
export function rekognitionRefusal(metadata: ImageMetadata): string | null {
  const { formats, minSidePx, maxSidePx, maxBytes } = REKOGNITION_LIMITS;
  if (!metadata.format || !(formats as readonly string[]).includes(metadata.format)) {
    const type = metadata.format
      ? `a ${metadata.format.toUpperCase()} image`
      : 'not an image Rekognition can read';
    return `No labels: Rekognition reads only JPEG and PNG, and this file is ${type}`;
  }
  const { width, height } = metadata;
  if (width !== null && height !== null) {
    const size = `${width}×${height} px`;
    if (Math.min(width, height) < minSidePx) {
      return `No labels: the image is ${size} and Rekognition needs at least ${minSidePx} px per side`;
    }
    if (Math.max(width, height) > maxSidePx) {
      return `No labels: the image is ${size} and Rekognition accepts at most ${maxSidePx.toLocaleString('en-US')} px per side`;
    }
  }
  if (metadata.sizeBytes > maxBytes) {
    const mb = (metadata.sizeBytes / 1024 / 1024).toFixed(1);
    return `No labels: the file is ${mb} MB and Rekognition reads at most ${maxBytes / 1024 / 1024} MB from S3`;
  }
  return null;
}

export async function detectLabels(
  rekognition: RekognitionClient,
  photo: { bucket: string; key: string; metadata: ImageMetadata },
  settings: LabelSettings,
): Promise<LabelsResult> {
  const refusal = rekognitionRefusal(photo.metadata);
  if (refusal) return { labels: [], reason: refusal };
  try {
    const response = await rekognition.send(
      new DetectLabelsCommand({
        Image: { S3Object: { Bucket: photo.bucket, Name: photo.key } },
        MaxLabels: settings.maxLabels,
        MinConfidence: settings.minConfidence,
      }),
    );
    const labels = (response.Labels ?? [])
      .filter((label) => typeof label.Name === 'string' && label.Name !== '')
      .map((label) => ({ name: label.Name as string, confidence: label.Confidence ?? 0 }));
    const reason =
      labels.length === 0
        ? `No labels: Rekognition found nothing it is at least ${settings.minConfidence}% confident about`
        : null;
    return { labels, reason };
  } catch (error) {
    const name = errorName(error);
    if (name && IMAGE_ERRORS.has(name)) {
      return {
        labels: [],
        reason: `No labels: Rekognition could not use this image (${name}: ${errorReason(error)})`,
      };
    }
    throw error;
  }
}
