import { DetectLabelsCommand, type Image, type RekognitionClient } from '@aws-sdk/client-rekognition';
import type { S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { errorName, errorReason, InvalidInput } from '../shared/errors';
import type { ImageMetadata, Rendition } from '../shared/model';
import { getPhotoObject } from '../shared/photo-object';
import { REKOGNITION_LIMITS } from '../shared/rekognition-limits';
import { describe, isObject } from '../shared/validate';
import type { DuplicateSource, LabelsResult } from '../shared/workflow';

export { REKOGNITION_LIMITS } from '../shared/rekognition-limits';

export interface LabelSettings {
  readonly maxLabels: number;
  readonly minConfidence: number;
}

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

/** How a photo goes to DetectLabels: the stored object, an enlarged copy inline, or not at all. */
export type RekognitionInput =
  | { readonly kind: 's3' }
  | { readonly kind: 'upscale'; readonly width: number; readonly height: number }
  | { readonly kind: 'refuse'; readonly reason: string };

/**
 * How to ask Rekognition about a photo, from its metadata alone. Rekognition refuses images under
 * 80 px a side (InvalidParameterException), yet small photos (thumbnails, old camera previews) still
 * deserve labels: those are enlarged so that their shorter side is exactly 80 px, aspect ratio kept,
 * unless that would push the longer side past 10,000 px. Unknown dimensions go as the S3 object, and
 * Rekognition's own refusal becomes the reason.
 */
export function rekognitionInput(metadata: ImageMetadata): RekognitionInput {
  const { formats, minSidePx, maxSidePx, maxBytes } = REKOGNITION_LIMITS;
  if (!metadata.format || !(formats as readonly string[]).includes(metadata.format)) {
    const type = metadata.format
      ? `a ${metadata.format.toUpperCase()} image`
      : 'not an image Rekognition can read';
    return refuse(`No labels: Rekognition reads only JPEG and PNG, and this file is ${type}`);
  }
  const { width, height } = metadata;
  if (width !== null && height !== null) {
    const size = `${width}×${height} px`;
    const maxSide = maxSidePx.toLocaleString('en-US');
    if (Math.max(width, height) > maxSidePx) {
      return refuse(`No labels: the image is ${size} and Rekognition accepts at most ${maxSide} px per side`);
    }
    const shorter = Math.min(width, height);
    if (shorter < minSidePx) {
      // The shorter side becomes exactly the minimum; the longer one keeps the ratio to the nearest
      // pixel, which is never under the minimum either.
      const longer = Math.round((Math.max(width, height) * minSidePx) / shorter);
      if (longer > maxSidePx) {
        return refuse(
          `No labels: the image is ${size}, too extreme a ratio for Rekognition's ${minSidePx} px minimum and ${maxSide} px maximum per side (enlarged to ${minSidePx} px it would be ${longer.toLocaleString('en-US')} px long)`,
        );
      }
      return width <= height
        ? { kind: 'upscale', width: minSidePx, height: longer }
        : { kind: 'upscale', width: longer, height: minSidePx };
    }
  }
  if (metadata.sizeBytes > maxBytes) {
    const mb = (metadata.sizeBytes / 1024 / 1024).toFixed(1);
    return refuse(
      `No labels: the file is ${mb} MB and Rekognition reads at most ${maxBytes / 1024 / 1024} MB from S3`,
    );
  }
  return { kind: 's3' };
}

const refuse = (reason: string): RekognitionInput => ({ kind: 'refuse', reason });

/**
 * Rekognition's labels for a photo, or the reason it has none. Photos within Rekognition's limits go
 * as the S3 object; photos under its 80 px minimum go as an enlarged copy, inline (see
 * rekognitionInput). A photo out of Rekognition's reach (HEIC, TIFF, AVIF, WebP; over 15 MB or
 * 10,000 px a side) goes as its display rendition, which GenerateRendition made within those limits;
 * without one it gets a reason without a call.
 */
export async function detectLabels(
  rekognition: RekognitionClient,
  s3: S3Client,
  photo: { bucket: string; key: string; metadata: ImageMetadata; rendition?: Rendition | null },
  settings: LabelSettings,
): Promise<LabelsResult> {
  let source = { bucket: photo.bucket, key: photo.key };
  let input = rekognitionInput(photo.metadata);
  if (input.kind === 'refuse' && photo.rendition) {
    source = { bucket: photo.bucket, key: photo.rendition.key };
    input = rekognitionInput(renditionMetadata(photo.rendition));
  }
  if (input.kind === 'refuse') return { labels: [], reason: input.reason };
  let image: Image;
  if (input.kind === 'upscale') {
    const original = await readObject(s3, source);
    try {
      image = { Bytes: await enlarge(original, input) };
    } catch (error) {
      return {
        labels: [],
        reason: `No labels: the image could not be decoded to enlarge it to Rekognition's ${REKOGNITION_LIMITS.minSidePx} px minimum (${errorReason(error)})`,
      };
    }
  } else {
    image = { S3Object: { Bucket: source.bucket, Name: source.key } };
  }
  try {
    const response = await rekognition.send(
      new DetectLabelsCommand({
        Image: image,
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
    // Answered, so billed (the cost receipt counts it); refusals and errors are not.
    return { labels, reason, rekognitionCalls: 1 };
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

/**
 * Rekognition's throttling errors, as the SDK names them. The state machine retries them (with
 * backoff, lib/image-processing.ts), so they cost time, not photos; the handler counts them as the
 * RekognitionThrottled metric, whose alarm says when to ask for a higher DetectLabels quota.
 */
const THROTTLING_ERRORS = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException']);

export function isRekognitionThrottling(error: unknown): boolean {
  const name = errorName(error);
  return name !== undefined && THROTTLING_ERRORS.has(name);
}

/**
 * An upright (EXIF orientation applied: the size is the displayed one), metadata-free copy at exactly
 * the given size, enlarged with Lanczos: JPEG at quality 90, or PNG when the photo has transparency.
 * Inline Bytes are limited to 5 MB; at 80 px by at most 10,000 px even raw RGBA is 3.2 MB, so an
 * enlarged copy never reaches it.
 */
export async function enlarge(
  original: Uint8Array,
  size: { width: number; height: number },
): Promise<Uint8Array> {
  const header = await sharp(original).metadata();
  const pipeline = sharp(original, { failOn: 'error' })
    .autoOrient()
    .resize({ width: size.width, height: size.height, fit: 'fill', kernel: 'lanczos3' })
    // 8-bit sRGB whatever the input (16-bit PNG, CMYK JPEG), as Rekognition expects.
    .toColourspace('srgb');
  return header.hasAlpha ? pipeline.png().toBuffer() : pipeline.jpeg({ quality: 90 }).toBuffer();
}

/** A rendition described as the metadata rekognitionInput judges: it is upright, so no orientation. */
function renditionMetadata(rendition: Rendition): ImageMetadata {
  return {
    format: rendition.format,
    width: rendition.width,
    height: rendition.height,
    orientation: null,
    sizeBytes: rendition.sizeBytes,
    capturedAt: null,
    make: null,
    model: null,
    gps: null,
  };
}

/** The whole object: only photos under 80 px a side are read, so it is small. */
async function readObject(s3: S3Client, photo: { bucket: string; key: string }): Promise<Uint8Array> {
  const response = await getPhotoObject(s3, photo);
  return (await response.Body?.transformToByteArray()) ?? new Uint8Array();
}

/**
 * The labels of a byte-identical READY photo (StoreImageMetadata found it), as this photo's: the same
 * bytes under the same pipeline version get the same answer from Rekognition, so asking again would
 * only cost a call. Copied, not referenced, so either photo can be deleted without the other losing
 * anything.
 */
export function labelsOfDuplicate(source: DuplicateSource): LabelsResult {
  return {
    labels: source.labels.map(({ name, confidence }) => ({ name, confidence })),
    reason: source.reason,
    duplicateOf: source.photoId,
  };
}

/** The event's `duplicate` (StoredMetadata.duplicate): null or absent when the photo is not a copy. */
export function duplicateSource(value: unknown): DuplicateSource | null {
  if (value === undefined || value === null) return null;
  const ok =
    isObject(value) &&
    typeof value.photoId === 'string' &&
    value.photoId !== '' &&
    Array.isArray(value.labels) &&
    value.labels.every(
      (label) => isObject(label) && typeof label.name === 'string' && typeof label.confidence === 'number',
    ) &&
    (value.reason === null || typeof value.reason === 'string');
  if (!ok) {
    throw new InvalidInput(
      `The event's duplicate must be null or { photoId, labels: [{ name, confidence }], reason }, got ${describe(value)}.`,
    );
  }
  return value as unknown as DuplicateSource;
}
